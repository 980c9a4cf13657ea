/**
 * prism.yaml -> LoadedSpec. YAML syntax first, then structure and meaning; every problem
 * is collected with its line and column and thrown as one SpecError.
 */
import { readFile } from 'node:fs/promises';
import type { Document } from 'yaml';
import { LineCounter, parseDocument } from 'yaml';
import type { SpecIssue } from '../errors.js';
import { SpecError, UsageError } from '../errors.js';
import { checkSpec } from './check.js';
import type { Finding } from './findings.js';
import { positionAt } from './locate.js';
import { findTooDeep, MAX_NESTING } from './nesting.js';
import type { LoadedSpec, SpecNotice } from './types.js';

const EMPTY_HINT =
  'start with e.g.\nmodels:\n  - name: DataPoint\n    fields:\n      - name: id\n        type: uuid';

interface Source {
  readonly doc: Document;
  readonly lines: LineCounter;
  readonly file: string;
}

/** Syntax errors listed one by one; a broken file can hold thousands. */
const MAX_SYNTAX_ERRORS = 20;

function yamlIssues(source: Source): SpecIssue[] {
  const errors = source.doc.errors;
  const issues: SpecIssue[] = errors.slice(0, MAX_SYNTAX_ERRORS).map((e) => {
    const { line, col } = source.lines.linePos(e.pos[0]);
    return {
      file: source.file,
      line,
      column: col,
      message: `YAML syntax error: ${e.message}`,
      hint: 'fix the YAML syntax at this position (indentation, quotes, brackets)',
    };
  });
  const rest = errors[MAX_SYNTAX_ERRORS];
  if (rest !== undefined) {
    const { line, col } = source.lines.linePos(rest.pos[0]);
    issues.push({
      file: source.file,
      line,
      column: col,
      message: `YAML syntax error: ${errors.length - MAX_SYNTAX_ERRORS} more from here on (the first ${MAX_SYNTAX_ERRORS} are listed)`,
    });
  }
  return issues;
}

/**
 * Refuses nesting deeper than MAX_NESTING before the document is built: building and
 * converting it recurse once per level and would exhaust the call stack.
 */
function checkNesting(text: string, file: string): void {
  const lines = new LineCounter();
  const deep = findTooDeep(text, MAX_NESTING, lines.addNewLine);
  if (deep === undefined) return;
  const { line, col } = lines.linePos(deep.offset);
  throw new SpecError([
    {
      file,
      line,
      column: col,
      message: `the YAML nests mappings and lists deeper than ${MAX_NESTING} levels here`,
      hint: `a spec needs about 7 levels (models, a model, its fields, a field, …); remove the extra nesting`,
    },
  ]);
}

/** Aliases are resolved by toJS; it refuses alias bombs (its maxAliasCount). */
function toPlain(source: Source): unknown {
  try {
    return source.doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new SpecError([
      {
        file: source.file,
        line: 1,
        column: 1,
        message: `cannot read the YAML document: ${message}`,
      },
    ]);
  }
}

function withFirst(source: Source, f: Finding): string {
  if (f.firstAt === undefined) return f.message;
  const first = positionAt(source.doc, source.lines, f.firstAt, 'value');
  return `${f.message} (${f.firstAtLabel ?? 'first at'} line ${first.line}, column ${first.column})`;
}

function toIssue(source: Source, f: Finding): SpecIssue {
  const { line, column } = positionAt(source.doc, source.lines, f.path, f.at);
  return { file: source.file, line, column, message: withFirst(source, f), hint: f.hint };
}

function toNotice(source: Source, f: Finding): SpecNotice {
  const { line, column } = positionAt(source.doc, source.lines, f.path, f.at);
  return Object.freeze({ file: source.file, line, column, message: f.message });
}

function yamlWarnings(source: Source): SpecNotice[] {
  return source.doc.warnings.map((w) => {
    const { line, col } = source.lines.linePos(w.pos[0]);
    return Object.freeze({ file: source.file, line, column: col, message: `YAML: ${w.message}` });
  });
}

/** Parses and validates spec text; `file` is only used in messages. Pure. */
export function parseSpec(text: string, file: string): LoadedSpec {
  checkNesting(text, file);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const source: Source = { doc, lines, file };
  const syntax = yamlIssues(source);
  if (syntax.length > 0) throw new SpecError(syntax);
  const document = toPlain(source);
  if (document === null || document === undefined) {
    throw new SpecError([
      { file, line: 1, column: 1, message: 'the spec is empty', hint: EMPTY_HINT },
    ]);
  }
  const { spec, findings } = checkSpec(document);
  const errors = findings
    .filter((f) => f.severity === 'error')
    .map((f) => toIssue(source, f))
    .sort((a, b) => a.line - b.line || a.column - b.column);
  if (spec === undefined || errors.length > 0) throw new SpecError(errors);
  const notices = (severity: Finding['severity']): SpecNotice[] =>
    findings.filter((f) => f.severity === severity).map((f) => toNotice(source, f));
  return Object.freeze({
    spec: Object.freeze({ file, timescale: spec.timescale, models: spec.models }),
    warnings: Object.freeze([...yamlWarnings(source), ...notices('warning')]),
    adjustments: Object.freeze(notices('adjustment')),
  });
}

export async function loadSpec(file: string): Promise<LoadedSpec> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read';
    throw new UsageError(`spec file ${file} ${reason}`, {
      hint: 'pass the path of your prism.yaml with --spec <file>',
      cause: error,
    });
  }
  return parseSpec(text, file);
}
