/** `references:` validation: every problem located at its line and column, with a hint. */
import { expect } from 'chai';
import { parseSpec } from '../../../lib/spec/load.js';
import { issuesOf } from '../../helpers/spec-issues.js';

/** Line numbers below count from 1 at `models:`. */
const spec = (readingFields: readonly string[], deviceFields: readonly string[] = []) =>
  [
    /* 1 */ 'models:',
    /* 2 */ '  - name: Device',
    /* 3 */ '    fields:',
    /* 4 */ '      - { name: id, type: int, primary_key: true }',
    /* 5 */ '      - { name: serial, type: string, max_length: 20, unique: true }',
    /* 6 */ '      - { name: label, type: text }',
    ...deviceFields,
    '  - name: Metric',
    '    fields:',
    '      - { name: id, type: int, primary_key: true }',
    '      - { name: ts, type: datetime }',
    '    timeseries: { time_column: ts }',
    '  - name: Reading',
    '    fields:',
    '      - { name: time, type: datetime }',
    ...readingFields,
    '    timeseries: { time_column: time }',
  ].join('\n');

/** The first Reading field is on line 15. */
const at = (line: number, column: number) => ({ line, column });

describe('spec/references', () => {
  it('accepts a key to a primary key or a unique field, a self-reference, and the actions', () => {
    const { spec: s } = parseSpec(
      spec(
        [
          '      - { name: device_id, type: int, references: Device.id, on_delete: cascade }',
          '      - { name: serial, type: string, optional: true, references: Device.serial, on_delete: set null, on_update: cascade }',
        ],
        ['      - { name: parent_id, type: int, optional: true, references: Device.id }'],
      ),
      'prism.yaml',
    );
    const reading = s.models.find((m) => m.name === 'Reading');
    expect(reading?.fields.find((f) => f.name === 'serial')?.references).to.deep.equal({
      model: 'Device',
      field: 'serial',
      onDelete: 'set null',
      onUpdate: 'cascade',
    });
    expect(reading?.fields.find((f) => f.name === 'device_id')?.references?.onUpdate).to.equal(
      'no action',
    );
  });

  it('names a missing model or field, with the closest name', () => {
    const issues = issuesOf(
      spec([
        '      - { name: a, type: int, references: Devise.id }',
        '      - { name: b, type: int, references: Device.idd }',
        '      - { name: c, type: int, references: Nothing.id }',
      ]),
    );
    expect(issues.map((i) => [i.line, i.column, i.message, i.hint])).to.deep.equal([
      [
        15,
        43,
        "references Devise.id: there is no model 'Devise'",
        "write <Model>.<field> with a model of this spec; did you mean 'Device'?",
      ],
      [16, 43, "references Device.idd: model Device has no field 'idd'", "did you mean 'id'?"],
      [
        17,
        43,
        "references Nothing.id: there is no model 'Nothing'",
        'write <Model>.<field> with a model of this spec; models: Device, Metric, Reading',
      ],
    ]);
  });

  it('refuses a field that is not unique alone, saying why for a hypertable', () => {
    const issues = issuesOf(
      spec([
        '      - { name: a, type: text, references: Device.label }',
        '      - { name: b, type: int, references: Metric.id }',
        '      - { name: c, type: datetime, references: Metric.ts }',
      ]),
    );
    expect(issues.map((i) => at(i.line, i.column))).to.deep.equal([
      at(15, 44),
      at(16, 43),
      at(17, 48),
    ]);
    expect(issues[0]?.message).to.equal(
      "references Device.label: 'label' is neither the primary key of Device nor unique (PostgreSQL needs a unique constraint on exactly the referenced column)",
    );
    expect(issues[0]?.hint).to.equal(
      'reference Device.id (its primary key), or add `unique: true` to Device.label',
    );
    expect(issues[1]?.message).to.equal(
      "references Metric.id: Metric is a hypertable, and there every primary key and unique index includes its time column 'ts', so 'id' alone is not unique (PostgreSQL needs a unique constraint on exactly the referenced column)",
    );
    expect(issues[2]?.message).to.match(/the time column of hypertable Metric is not unique/);
  });

  it('refuses mismatched types (int and bigint too) and a field referencing itself', () => {
    const issues = issuesOf(
      spec(
        [
          '      - { name: a, type: bigint, references: Device.id }',
          '      - { name: b, type: uuid, references: Device.id }',
        ],
        ['      - { name: me, type: int, unique: true, references: Device.me }'],
      ),
    );
    expect(issues.map((i) => [i.line, i.message])).to.deep.equal([
      [7, 'references Device.me: a field cannot reference itself'],
      [16, "references Device.id: 'a' is bigint but Device.id is int"],
      [17, "references Device.id: 'b' is uuid but Device.id is int"],
    ]);
    expect(issues[1]?.hint).to.match(/int and bigint are not mixed/);
  });

  it('refuses set null on a NOT NULL field, set default without a default, and actions without references', () => {
    const issues = issuesOf(
      spec([
        '      - { name: a, type: int, references: Device.id, on_delete: set null }',
        '      - { name: b, type: int, references: Device.id, on_update: set default }',
      ]),
    );
    expect(issues.map((i) => [i.line, i.column, i.message])).to.deep.equal([
      [15, 65, "on_delete: set null needs a column that may be NULL, and 'a' is NOT NULL"],
      [
        16,
        65,
        "on_update: set default needs a default, and 'b' has none (PostgreSQL would set NULL into a NOT NULL column)",
      ],
    ]);
    const loose = issuesOf(spec(['      - { name: a, type: int, on_delete: cascade }']));
    expect(loose.map((i) => [i.line, i.column, i.message])).to.deep.equal([
      [15, 31, 'on_delete only applies to a field with references'],
    ]);
  });

  it('refuses a reference that is not <Model>.<field>', () => {
    const issues = issuesOf(spec(['      - { name: a, type: int, references: "Device id" }']));
    expect(issues.map((i) => [i.line, i.column])).to.deep.equal([[15, 43]]);
    expect(issues[0]?.message).to.equal('"Device id" is not <Model>.<field>');
  });
});
