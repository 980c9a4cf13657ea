/** Models in a schema other than public: the changes carry it, and every call is qualified. */
import { expect } from 'chai';
import { invert, type Change } from '../../../lib/diff/changes.js';
import { describeChange } from '../../../lib/diff/describe.js';
import { destructiveChanges } from '../../../lib/diff/destructive.js';
import { diffSpecs } from '../../../lib/diff/diff.js';
import { renderMigration } from '../../../lib/generate/render.js';
import { parseSpec } from '../../../lib/spec/load.js';
import type { Spec } from '../../../lib/spec/types.js';
import { UsageError } from '../../../lib/errors.js';

const spec = (yaml: string): Spec => parseSpec(yaml, 'prism.yaml').spec;

const DEVICE = `
  - name: Device
    schema: telemetry
    fields:
      - { name: id, type: int, primary_key: true }
      - { name: kind, type: enum, values: [a, b] }`;
const CONDITIONS = (extra = '') => `
  - name: Conditions
    schema: telemetry
    fields:
      - { name: time, type: datetime }
      - { name: device_id, type: int, references: Device.id, on_delete: cascade }
      - { name: temperature, type: double, optional: true }${extra}
    indexes:
      - { columns: [device_id, time DESC] }
    timeseries:
      time_column: time
      compression: { segment_by: [device_id], after: 7 days }
      retention: { drop_after: 90 days }`;
const OWNER = `
  - name: Owner
    fields:
      - { name: id, type: int, primary_key: true }
      - { name: device_id, type: int, references: Device.id }`;

const models = (...parts: string[]) => `models:${parts.join('')}`;
const up = (changes: readonly Change[]) =>
  renderMigration(changes, { language: 'js' }).split('export function down')[0] ?? '';
const down = (changes: readonly Change[]) =>
  renderMigration(changes, { language: 'js' }).split('export function down')[1] ?? '';

describe('diff/schemas', () => {
  it('creates the schema when missing and qualifies every statement of a new model', () => {
    const changes = diffSpecs(undefined, spec(models(DEVICE, CONDITIONS(), OWNER)));
    const text = up(changes);
    expect(text).to.include("pgm.createSchema('telemetry', { ifNotExists: true });");
    for (const line of [
      "pgm.createTable({ schema: 'telemetry', name: 'device' }, {",
      "pgm.addConstraint({ schema: 'telemetry', name: 'device' }, 'device_pkey', { primaryKey: ['id'] });",
      "pgm.addConstraint({ schema: 'telemetry', name: 'device' }, 'device_kind_check', {",
      "{ schema: 'telemetry', name: 'conditions' },",
      "references: { table: { schema: 'telemetry', name: 'device' }, column: 'id' },",
      "createHypertable(pgm, { schema: 'telemetry', name: 'conditions' }, {",
      "enableCompression(pgm, { schema: 'telemetry', name: 'conditions' }, {",
      "addCompressionPolicy(pgm, { schema: 'telemetry', name: 'conditions' }, {",
      "addRetentionPolicy(pgm, { schema: 'telemetry', name: 'conditions' }, {",
      // A model of public keeps its plain names and references the qualified table.
      "pgm.createTable('owner', {",
    ])
      expect(text).to.include(line);
    expect(text).not.to.match(/createTable\('(device|conditions)'/);
    // down drops the tables and leaves the schema (it may hold more than these tables).
    const back = down(changes);
    expect(back).to.include("pgm.dropTable({ schema: 'telemetry', name: 'conditions' });");
    expect(back).to.include("pgm.dropTable({ schema: 'telemetry', name: 'device' });");
    expect(back).not.to.include('dropSchema');
    expect(changes.map(describeChange)).to.include(
      'create hypertable telemetry.conditions (model Conditions)',
    );
  });

  it('carries the schema in the changes of a kept model, through invert and render', () => {
    const before = spec(models(DEVICE, CONDITIONS()));
    const after = spec(
      models(
        DEVICE.replace('values: [a, b]', 'values: [a, b, c]'),
        CONDITIONS(
          '\n      - { name: humidity, type: double, optional: true, index: true }',
        ).replace('after: 7 days', 'after: 3 days'),
      ),
    );
    const changes = diffSpecs(before, after);
    expect(changes.length).to.be.greaterThan(0);
    for (const c of changes) {
      expect(c.schema, c.kind).to.equal('telemetry');
      expect(invert(invert(c))).to.deep.equal(c);
      expect(invert(c).schema).to.equal('telemetry');
    }
    const text = up(changes);
    for (const line of [
      "pgm.dropConstraint({ schema: 'telemetry', name: 'device' }, 'device_kind_check');",
      "pgm.addColumns({ schema: 'telemetry', name: 'conditions' }, {",
      "removeCompressionPolicy(pgm, { schema: 'telemetry', name: 'conditions' }, {",
    ])
      expect(text).to.include(line);
    expect(down(changes)).to.include(
      "pgm.dropColumns({ schema: 'telemetry', name: 'conditions' }, ['humidity']);",
    );
    expect(changes.map(describeChange)).to.include('add column telemetry.conditions.humidity');
  });

  it('names dropped tables and columns qualified for the data-loss preview', () => {
    const before = spec(models(DEVICE, CONDITIONS()));
    const after = spec(
      models(DEVICE.replace('\n      - { name: kind, type: enum, values: [a, b] }', '')),
    );
    const found = destructiveChanges(diffSpecs(before, after), 'up');
    expect(found.map((d) => [d.code, d.table])).to.deep.equal([
      ['PM101', 'telemetry.conditions'],
      ['PM102', 'telemetry.device'],
    ]);
  });

  it('refuses to move a table between schemas', () => {
    const before = spec(models(DEVICE));
    const after = spec(models(DEVICE.replace('schema: telemetry', 'schema: fleet')));
    expect(() => diffSpecs(before, after))
      .to.throw(UsageError)
      .with.property(
        'message',
        'model Device: its table would move from schema telemetry to fleet; prism-migrate does not move tables between schemas',
      );
    expect(() =>
      diffSpecs(before, spec(models(DEVICE.replace('schema: telemetry', 'schema: public')))),
    ).to.throw(UsageError);
  });

  it('keeps the changes of public models as they were (no schema key)', () => {
    const changes = diffSpecs(
      undefined,
      spec(models(OWNER.replace(', references: Device.id', ''))),
    );
    expect(JSON.stringify(changes)).not.to.include('schema');
  });
});
