import { expect } from 'chai';
import type { SpecIssue } from '../../../lib/errors.js';
import { parseSpec } from '../../../lib/spec/load.js';
import { issuesOf } from '../../helpers/spec-issues.js';

/** A valid spec; tests replace single lines, so line numbers below are stable. */
const BASE = [
  /*  1 */ 'models:',
  /*  2 */ '  - name: DataPoint',
  /*  3 */ '    fields:',
  /*  4 */ '      - name: id',
  /*  5 */ '        type: uuid',
  /*  6 */ '        primary_key: true',
  /*  7 */ '      - name: timestamp',
  /*  8 */ '        type: datetime',
  /*  9 */ '      - name: source',
  /* 10 */ '        type: string',
  /* 11 */ '        max_length: 100',
  /* 12 */ '      - name: value',
  /* 13 */ '        type: float',
  /* 14 */ '    timeseries:',
  /* 15 */ '      time_column: timestamp',
];

/** `changes` replace lines of BASE; `more` is appended (line 16 onwards). */
function edit(changes: Record<number, string>, more: readonly string[] = []): string {
  return [...BASE.map((line, i) => changes[i + 1] ?? line), ...more].join('\n');
}

/** Line 14 is `renamed_from` of field 'value'; its value starts at column 23. */
const valueRenamedFrom = (old: string): Record<number, string> => ({
  13: `        type: float\n        renamed_from: ${old}`,
});

/** Line 3 is `renamed_from` of model 'DataPoint'; its value starts at column 19. */
const modelRenamedFrom = (old: string): Record<number, string> => ({
  2: `  - name: DataPoint\n    renamed_from: ${old}`,
});

function onlyIssue(text: string): SpecIssue {
  const issues = issuesOf(text);
  expect(issues, JSON.stringify(issues, null, 2)).to.have.length(1);
  return issues[0] as SpecIssue;
}

function expectAt(issue: SpecIssue, line: number, column: number): void {
  expect({ line: issue.line, column: issue.column }, issue.message).to.deep.equal({ line, column });
}

const STILL_EXISTS_HINT =
  /^a rename means the old name is gone: .*Remove renamed_from once the migration is generated; it may stay harmlessly after that only while no /;

describe('spec: renamed_from', () => {
  describe('valid renames', () => {
    it('carries renamed_from into the normalized Model and Field', () => {
      const text = edit({ ...modelRenamedFrom('Reading'), ...valueRenamedFrom('val') });
      const model = parseSpec(text, 'prism.yaml').spec.models[0];
      expect(model?.name).to.equal('DataPoint');
      expect(model?.table).to.equal('datapoint');
      expect(model?.renamedFrom).to.equal('Reading');
      expect(model?.fields.map((f) => [f.name, f.renamedFrom])).to.deep.equal([
        ['id', undefined],
        ['timestamp', undefined],
        ['source', undefined],
        ['value', 'val'],
      ]);
    });

    it('is absent when not given', () => {
      const model = parseSpec(edit({}), 'prism.yaml').spec.models[0];
      expect(model).to.not.have.property('renamedFrom');
      for (const field of model?.fields ?? []) expect(field).to.not.have.property('renamedFrom');
    });

    it('field renames are scoped to their model', () => {
      const text = edit(valueRenamedFrom('val'), [
        '  - name: Other',
        '    renamed_from: Older',
        '    fields:',
        '      - { name: id, type: uuid, renamed_from: val }',
        '      - { name: amount, type: int, renamed_from: value }',
      ]);
      const models = parseSpec(text, 'prism.yaml').spec.models;
      expect(models[1]?.renamedFrom).to.equal('Older');
      expect(models[1]?.fields.map((f) => f.renamedFrom)).to.deep.equal(['val', 'value']);
    });
  });

  describe('identifier rules', () => {
    it('a field renamed_from with a dash', () => {
      const issue = onlyIssue(edit(valueRenamedFrom('old-value')));
      expectAt(issue, 14, 23);
      expect(issue.message).to.equal('"old-value" is not a valid field name in renamed_from');
      expect(issue.hint).to.equal(
        "use letters, digits and underscores only, not starting with a digit, at most 63 bytes, e.g. 'old_value'",
      );
    });

    it('a model renamed_from with a space', () => {
      const issue = onlyIssue(edit(modelRenamedFrom('Data Point')));
      expectAt(issue, 3, 19);
      expect(issue.message).to.equal('"Data Point" is not a valid model name in renamed_from');
      expect(issue.hint).to.contain("e.g. 'Data_Point'");
    });

    it('a renamed_from longer than 63 bytes', () => {
      const long = 'x'.repeat(64);
      const issue = onlyIssue(edit(valueRenamedFrom(long)));
      expectAt(issue, 14, 23);
      expect(issue.message).to.equal(
        `field name in renamed_from "${long}" is longer than 63 bytes`,
      );
      expect(issue.hint).to.contain('silently truncate');
    });

    it('an empty renamed_from gets the identifier rule', () => {
      const issue = onlyIssue(edit(modelRenamedFrom("''")));
      expectAt(issue, 3, 19);
      expect(issue.message).to.equal('models[0].renamed_from must not be empty');
      expect(issue.hint).to.match(/^use letters, digits and underscores only/);
    });

    it('a renamed_from that is not text', () => {
      const issue = onlyIssue(edit(valueRenamedFrom('[a, b]')));
      expectAt(issue, 14, 23);
      expect(issue.message).to.equal(
        'models[0].fields[3].renamed_from must be a string, got a list',
      );
    });
  });

  describe('renamed_from equal to the current name', () => {
    it('on a field', () => {
      const issue = onlyIssue(edit(valueRenamedFrom('value')));
      expectAt(issue, 14, 23);
      expect(issue.message).to.equal("renamed_from 'value' is the field's own name");
      expect(issue.hint).to.equal(
        "remove renamed_from: 'value' is the current name, so nothing is renamed",
      );
    });

    it('on a model', () => {
      const issue = onlyIssue(edit(modelRenamedFrom('DataPoint')));
      expectAt(issue, 3, 19);
      expect(issue.message).to.equal("renamed_from 'DataPoint' is the model's own name");
      expect(issue.hint).to.match(/^remove renamed_from/);
    });
  });

  describe('the same renamed_from twice', () => {
    it('on two fields of one model points at the second and names the first', () => {
      const issue = onlyIssue(
        edit({
          11: '        max_length: 100\n        renamed_from: old',
          13: '        type: float\n        renamed_from: old',
        }),
      );
      expectAt(issue, 15, 23);
      expect(issue.message).to.equal("duplicate renamed_from 'old' (first at line 12, column 23)");
      expect(issue.hint).to.equal(
        "only one field can be renamed from 'old'; remove renamed_from from the other",
      );
    });

    it('on two models', () => {
      const issue = onlyIssue(
        edit(modelRenamedFrom('Reading'), [
          '  - name: Metric',
          '    renamed_from: Reading',
          '    fields: [{ name: id, type: uuid }]',
        ]),
      );
      expectAt(issue, 18, 19);
      expect(issue.message).to.equal(
        "duplicate renamed_from 'Reading' (first at line 3, column 19)",
      );
      expect(issue.hint).to.equal(
        "only one model can be renamed from 'Reading'; remove renamed_from from the other",
      );
    });
  });

  describe('renamed_from naming something that still exists', () => {
    it('a field of the same model', () => {
      const issue = onlyIssue(edit(valueRenamedFrom('source')));
      expectAt(issue, 14, 23);
      expect(issue.message).to.equal(
        "renamed_from 'source' names a field that still exists in model 'DataPoint' (at line 9, column 15)",
      );
      expect(issue.hint).to.match(STILL_EXISTS_HINT);
      expect(issue.hint).to.equal(
        "a rename means the old name is gone: remove field 'source', or remove renamed_from if 'value' is a new field. " +
          "Remove renamed_from once the migration is generated; it may stay harmlessly after that only while no field is named 'source'",
      );
    });

    it('a model of the spec', () => {
      const issue = onlyIssue(
        edit({}, [
          '  - name: Metric',
          '    renamed_from: DataPoint',
          '    fields: [{ name: id, type: uuid }]',
        ]),
      );
      expectAt(issue, 17, 19);
      expect(issue.message).to.equal(
        "renamed_from 'DataPoint' names a model that still exists in the spec (at line 2, column 11)",
      );
      expect(issue.hint).to.match(STILL_EXISTS_HINT);
      expect(issue.hint).to.contain("no model is named 'DataPoint'");
    });

    it('a swap of two field names is refused at both fields', () => {
      const issues = issuesOf(
        edit({
          11: '        max_length: 100\n        renamed_from: value',
          13: '        type: float\n        renamed_from: source',
        }),
      );
      expect(issues.map((i) => [i.line, i.column, i.message])).to.deep.equal([
        [
          12,
          23,
          "renamed_from 'value' names a field that still exists in model 'DataPoint' (at line 13, column 15)",
        ],
        [
          15,
          23,
          "renamed_from 'source' names a field that still exists in model 'DataPoint' (at line 9, column 15)",
        ],
      ]);
    });
  });
});
