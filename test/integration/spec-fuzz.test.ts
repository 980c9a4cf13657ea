/**
 * Property: whatever prism.yaml holds — random YAML structures, values of the wrong type,
 * huge numbers, odd unicode, deep nesting, missing keys, broken text — `validate` and
 * `generate` either accept it or refuse it with located spec errors (exit 2), never with
 * a stack trace, and write nothing when they refuse. Seeded (PRISM_PROPERTY_SEED): 300
 * specs through the library, and a sample of them through the CLI.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { SpecError } from '../../lib/errors.js';
import { generateMigration } from '../../lib/generate/generate.js';
import { parseSpec } from '../../lib/spec/load.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/databases.js';

const SEED = Number(process.env['PRISM_PROPERTY_SEED'] ?? 20261124);
const BASE: unknown = parse(readFileSync(resolve('spec/examples/datapoint.yaml'), 'utf8'));
/** Generous bound for one spec in-process (validate and generate take milliseconds). */
const BOUND_MS = 5_000;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type PathPart = string | number;

/** Every path into the value, the root included. */
function pathsOf(value: unknown, prefix: PathPart[] = []): PathPart[][] {
  const paths: PathPart[][] = [prefix];
  if (Array.isArray(value)) value.forEach((v, k) => paths.push(...pathsOf(v, [...prefix, k])));
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) paths.push(...pathsOf(v, [...prefix, k]));
  return paths;
}

function setAt(root: unknown, path: readonly PathPart[], value: unknown, remove: boolean): unknown {
  if (path.length === 0) return remove ? null : value;
  let parent = root as Record<PathPart, unknown>;
  for (const part of path.slice(0, -1)) parent = parent[part] as Record<PathPart, unknown>;
  const last = path[path.length - 1] as PathPart;
  if (remove && Array.isArray(parent)) parent.splice(last as number, 1);
  else if (remove) delete parent[last];
  else parent[last] = value;
  return root;
}

const oddString = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\ud800',
    'a\u200bb',
    '١٢٣',
    '𝔡𝔞𝔱𝔞',
    'e\u0301',
    '1 day; DROP TABLE x',
    '9999999999999999999999 years',
    '-1 day',
    'now()',
    '__proto__',
    'constructor',
    '~',
    '*',
    'x'.repeat(64),
    '1e400',
  ),
);

const oddNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(
    0,
    -0,
    1,
    -1,
    2 ** 31,
    2 ** 53 + 2,
    Number.MAX_SAFE_INTEGER,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    Infinity,
    -Infinity,
    Number.NaN,
    1e21,
    10_485_761,
    1601,
  ),
);

const nested = fc
  .tuple(fc.integer({ min: 1, max: 400 }), fc.boolean())
  .map(([depth, map]): unknown => {
    let value: unknown = 'x';
    for (let k = 0; k < depth; k++) value = map ? { a: value } : [value];
    return value;
  });

const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  oddString,
  oddNumber,
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 3 }),
  nested,
  fc.array(fc.constantFrom('id', 'timestamp', 'source', 'value', 'metadata', 'nope'), {
    maxLength: 40,
  }),
);

type Mutation =
  | { readonly kind: 'set'; readonly at: number; readonly value: unknown }
  | { readonly kind: 'remove'; readonly at: number }
  | { readonly kind: 'key'; readonly at: number; readonly key: string; readonly value: unknown };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: oddValue }),
  fc.record({ kind: fc.constant('remove' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('key' as const),
    at: fc.nat(),
    key: fc.oneof(
      oddString,
      fc.constantFrom('fields', 'type', 'name', 'timeseries', 'primary_key', 'values'),
    ),
    value: oddValue,
  }),
);

/** Text edits after serialising: cut, insert characters, repeat a line. */
type TextEdit =
  | { readonly kind: 'none' }
  | { readonly kind: 'cut'; readonly at: number }
  | { readonly kind: 'insert'; readonly at: number; readonly text: string }
  | { readonly kind: 'repeat'; readonly line: number; readonly times: number };

const textEdit: fc.Arbitrary<TextEdit> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'none' as const }) },
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.oneof(
      oddString,
      fc.constantFrom('[', '{', ']', '}', ':', '- ', '\t', '&a ', '*a', '!!binary ', '%YAML 1.1\n'),
      fc.integer({ min: 100, max: 20_000 }).map((n) => '['.repeat(n)),
    ),
  }),
  fc.record({
    kind: fc.constant('repeat' as const),
    line: fc.nat(),
    times: fc.integer({ min: 2, max: 3000 }),
  }),
);

const specCase = fc.record({
  mutations: fc.array(mutation, { minLength: 0, maxLength: 4 }),
  edit: textEdit,
});
type SpecCase = typeof specCase extends fc.Arbitrary<infer T> ? T : never;

function applyMutations(mutations: readonly Mutation[]): unknown {
  let doc = structuredClone(BASE) as unknown;
  for (const m of mutations) {
    const paths = pathsOf(doc);
    const path = paths[m.at % paths.length] as PathPart[];
    if (m.kind === 'remove') doc = setAt(doc, path, undefined, true);
    else if (m.kind === 'set') doc = setAt(doc, path, structuredClone(m.value), false);
    else {
      const target = path.reduce<unknown>((v, part) => (v as Record<PathPart, unknown>)[part], doc);
      if (target !== null && typeof target === 'object' && !Array.isArray(target))
        Object.defineProperty(target, m.key, {
          value: structuredClone(m.value),
          enumerable: true,
          writable: true,
          configurable: true,
        });
    }
  }
  return doc;
}

function applyEdit(text: string, edit: TextEdit): string {
  switch (edit.kind) {
    case 'none':
      return text;
    case 'cut':
      return text.slice(0, edit.at % (text.length + 1));
    case 'insert': {
      const at = edit.at % (text.length + 1);
      return `${text.slice(0, at)}${edit.text}${text.slice(at)}`;
    }
    case 'repeat': {
      const lines = text.split('\n');
      const k = edit.line % lines.length;
      lines.splice(k, 0, ...Array<string>(edit.times).fill(lines[k] ?? ''));
      return lines.join('\n');
    }
  }
}

function specText(c: SpecCase): string {
  return applyEdit(stringify(applyMutations(c.mutations) as Json), c.edit);
}

/** What the library does with one spec: accepted (and generated), or located issues. */
function runInProcess(text: string, dir: string): 'accepted' | 'refused' {
  let loaded;
  try {
    loaded = parseSpec(text, 'prism.yaml');
  } catch (error) {
    if (!(error instanceof SpecError)) throw error;
    expect(error.issues.length).to.be.greaterThan(0);
    for (const issue of error.issues) {
      expect(issue.file).to.equal('prism.yaml');
      expect(issue.line).to.be.a('number').and.at.least(1);
      expect(issue.column).to.be.a('number').and.at.least(1);
      expect(issue.message).to.be.a('string').and.not.equal('');
      expect(issue.message).to.not.match(/Maximum call stack|RangeError|TypeError/);
    }
    return 'refused';
  }
  const migrations = join(dir, 'migrations');
  rmSync(migrations, { recursive: true, force: true });
  mkdirSync(migrations, { recursive: true });
  const result = generateMigration({ spec: loaded.spec, migrationsDir: migrations });
  expect(result.written).to.equal(result.changes.length > 0);
  return 'accepted';
}

const LOCATED = /^error: \S*prism\.yaml:\d+:\d+: \S/m;
const STACK = /^\s+at .+\(.+:\d+:\d+\)$|^\s+at file:|Maximum call stack/m;

describe('fuzzed specs (seeded property)', function () {
  this.timeout(120_000);
  const dir = tempDir('prism-fuzz-');
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('300 specs through the library: accepted and generated, or refused with located issues, each in bounded time', () => {
    const outcomes = { accepted: 0, refused: 0 };
    fc.assert(
      fc.property(specCase, (c) => {
        const text = specText(c);
        const started = process.hrtime.bigint();
        outcomes[runInProcess(text, dir)] += 1;
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        expect(ms, `spec took ${ms} ms`).to.be.below(BOUND_MS);
      }),
      { seed: SEED, numRuns: 300, endOnFailure: true },
    );
    // The generator reaches both sides, so neither property holds by default.
    expect(outcomes.refused).to.be.greaterThan(100);
    expect(outcomes.accepted).to.be.greaterThan(0);
  });

  it('a sample through the CLI: exit 0 or 2, a located message on 2, no stack trace, nothing written on failure', async () => {
    const sample = fc.sample(specCase, { seed: SEED, numRuns: 6 }).map(specText);
    // Hostile cases the issue named, whatever the sample holds.
    sample.push(
      `models: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`,
      `models:\n  - name: Wide\n    fields:\n${Array.from({ length: 2000 }, (_, k) => `      - { name: f${k}, type: int }`).join('\n')}\n`,
    );
    const exits = new Set<number | null>();
    for (const text of sample) {
      const project = join(dir, `cli-${exits.size}-${Math.random().toString(36).slice(2, 8)}`);
      mkdirSync(project, { recursive: true });
      writeFileSync(join(project, 'prism.yaml'), text);
      const env = { DATABASE_URL: undefined };
      for (const command of ['validate', 'generate']) {
        const run = await runCli([command], { cwd: project, env, timeoutMs: 30_000 });
        const label = `${command}:\n${text.slice(0, 300)}\n--- stderr:\n${run.stderr.slice(0, 1000)}`;
        exits.add(run.code);
        expect([0, 2], label).to.include(run.code);
        expect(run.stderr, label).to.not.match(STACK);
        if (run.code === 2) {
          expect(run.stderr, label).to.match(LOCATED);
          const migrations = join(project, 'migrations');
          const written = existsSync(migrations)
            ? readdirSync(migrations, { recursive: true })
            : [];
          expect(written, label).to.deep.equal([]);
        }
      }
      // Nothing but the spec (and, when accepted, the migrations) is left in the project.
      expect(existsSync(join(project, '.prism'))).to.equal(false);
    }
    expect(exits.has(2)).to.equal(true);
  });
});
