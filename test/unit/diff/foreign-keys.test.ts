/** Foreign keys in the diff: which change, and the order of tables and keys in up and down. */
import { expect } from 'chai';
import { invert, invertAll, type Change } from '../../../lib/diff/changes.js';
import { diffSpecs } from '../../../lib/diff/diff.js';
import { parseSpec } from '../../../lib/spec/load.js';
import type { Spec } from '../../../lib/spec/types.js';

const spec = (yaml: string): Spec => parseSpec(yaml, 'prism.yaml').spec;

/** One line per change: kind, table or model, and the keys it carries. */
function steps(changes: readonly Change[]): string[] {
  return changes.map((c) => {
    switch (c.kind) {
      case 'createModel':
      case 'dropModel': {
        const keys = (c.foreignKeys ?? []).map((k) => k.name);
        return `${c.kind} ${c.model.table}${keys.length > 0 ? ` [${keys.join(', ')}]` : ''}`;
      }
      case 'addForeignKey':
      case 'dropForeignKey':
        return `${c.kind} ${c.table}.${c.foreignKey.name}`;
      case 'renameTable':
        return `${c.kind} ${c.from} -> ${c.to}`;
      default:
        return `${c.kind} ${'table' in c ? c.table : ''}`;
    }
  });
}

const DEVICE = `
  - name: Device
    fields:
      - { name: id, type: int, primary_key: true }
      - { name: parent_id, type: int, optional: true, references: Device.id }`;
const READING = `
  - name: Reading
    fields:
      - { name: time, type: datetime }
      - { name: device_id, type: int, references: Device.id, on_delete: cascade }
    timeseries: { time_column: time, compression: { segment_by: [device_id] } }`;
const CYCLE = `
  - name: Author
    fields:
      - { name: id, type: int, primary_key: true }
      - { name: best_post, type: int, optional: true, references: Post.id }
  - name: Post
    fields:
      - { name: id, type: int, primary_key: true }
      - { name: author, type: int, references: Author.id }`;

const models = (...parts: string[]) => `models:${parts.join('')}`;

describe('diff/foreign-keys', () => {
  it('creates referenced tables first, each with its keys; a cycle closes after both tables', () => {
    const up = diffSpecs(undefined, spec(models(READING, CYCLE, DEVICE)));
    expect(steps(up)).to.deep.equal([
      'createModel device [device_parent_id_fkey]',
      'createModel reading [reading_device_id_fkey]',
      'createModel author',
      'createModel post [post_author_fkey]',
      'addForeignKey author.author_best_post_fkey',
    ]);
    expect(steps(invertAll(up))).to.deep.equal([
      'dropForeignKey author.author_best_post_fkey',
      'dropModel post [post_author_fkey]',
      'dropModel author',
      'dropModel reading [reading_device_id_fkey]',
      'dropModel device [device_parent_id_fkey]',
    ]);
  });

  it('drops referencing tables before the tables they reference, cycles opened first', () => {
    const from = spec(models(DEVICE, READING, CYCLE));
    const to = spec(
      models(`
  - name: Other
    fields:
      - { name: id, type: int, primary_key: true }`),
    );
    expect(steps(diffSpecs(from, to))).to.deep.equal([
      'dropForeignKey author.author_best_post_fkey',
      'dropModel post [post_author_fkey]',
      'dropModel author',
      'dropModel reading [reading_device_id_fkey]',
      'dropModel device [device_parent_id_fkey]',
      'createModel other',
    ]);
  });

  it('drops a key before anything else and adds one after everything else', () => {
    const from = spec(models(DEVICE, READING));
    const removed = spec(
      models(DEVICE, READING.replace(', references: Device.id, on_delete: cascade', '')),
    );
    expect(steps(diffSpecs(from, removed))).to.deep.equal([
      'dropForeignKey reading.reading_device_id_fkey',
    ]);
    expect(steps(diffSpecs(removed, from))).to.deep.equal([
      'addForeignKey reading.reading_device_id_fkey',
    ]);
    const restrict = spec(
      models(DEVICE, READING.replace('on_delete: cascade', 'on_delete: restrict')),
    );
    expect(steps(diffSpecs(from, restrict))).to.deep.equal([
      'dropForeignKey reading.reading_device_id_fkey',
      'addForeignKey reading.reading_device_id_fkey',
    ]);
  });

  it('drops the key to a model that goes away before its table', () => {
    const from = spec(models(DEVICE, READING));
    const to = spec(models(READING.replace(', references: Device.id, on_delete: cascade', '')));
    expect(steps(diffSpecs(from, to))).to.deep.equal([
      'dropForeignKey reading.reading_device_id_fkey',
      'dropModel device [device_parent_id_fkey]',
    ]);
  });

  it('keeps the keys of a renamed model, referenced or referencing (renameTable renames them)', () => {
    const from = spec(models(DEVICE, READING));
    const gadget = spec(
      models(
        DEVICE.replace('name: Device', 'name: Gadget\n    renamed_from: Device').replace(
          'references: Device.id',
          'references: Gadget.id',
        ),
        READING.replace('references: Device.id', 'references: Gadget.id'),
      ),
    );
    expect(steps(diffSpecs(from, gadget))).to.deep.equal(['renameTable device -> gadget']);
    const readings = spec(
      models(DEVICE, READING.replace('name: Reading', 'name: Readings\n    renamed_from: Reading')),
    );
    const s = steps(diffSpecs(from, readings));
    expect(s[0]).to.equal('renameTable reading -> readings');
    expect(s.filter((x) => x.includes('ForeignKey'))).to.deep.equal([]);
    // A renamed field's key is named after the old column: it is dropped first and added again.
    const renamedField = spec(
      models(
        DEVICE,
        READING.replace('name: device_id,', 'name: device,').replace(
          'segment_by: [device_id]',
          'segment_by: [device]',
        ),
      ).replace('name: device,', 'name: device, renamed_from: device_id,'),
    );
    const f = steps(diffSpecs(from, renamedField));
    expect(f[0]).to.equal('dropForeignKey reading.reading_device_id_fkey');
    expect(f.at(-1)).to.equal('addForeignKey reading.reading_device_fkey');
  });

  it('drops and re-adds a key around a change of the columns it joins', () => {
    const from = spec(models(DEVICE, READING));
    const to = spec(
      models(
        DEVICE.replaceAll('type: int', 'type: bigint'),
        READING.replace('type: int', 'type: bigint'),
      ),
    );
    const s = steps(diffSpecs(from, to));
    expect(s.slice(0, 2)).to.have.members([
      'dropForeignKey device.device_parent_id_fkey',
      'dropForeignKey reading.reading_device_id_fkey',
    ]);
    expect(s.slice(2, -2).filter((x) => x.startsWith('alterColumn'))).to.have.length(3);
    expect(s.slice(2, -2).filter((x) => x.includes('ForeignKey'))).to.deep.equal([]);
    expect(s.slice(-2)).to.have.members([
      'addForeignKey device.device_parent_id_fkey',
      'addForeignKey reading.reading_device_id_fkey',
    ]);
  });

  it('keeps the key of a table that becomes a hypertable, re-adds one to a table that does', () => {
    const plainReading = READING.replace(
      '\n    timeseries: { time_column: time, compression: { segment_by: [device_id] } }',
      '',
    );
    const from = spec(models(DEVICE, plainReading));
    const s = steps(diffSpecs(from, spec(models(DEVICE, READING))));
    expect(s.filter((x) => x.includes('ForeignKey'))).to.deep.equal([]);
    expect(s).to.include('createHypertable reading');
    const minute = (timeseries: string) => `
  - name: Minute
    fields:
      - { name: time, type: datetime, primary_key: true }${timeseries}
  - name: Note
    fields:
      - { name: id, type: int, primary_key: true }
      - { name: at, type: datetime, references: Minute.time }`;
    const toHypertable = steps(
      diffSpecs(
        spec(models(minute(''))),
        spec(models(minute('\n    timeseries: { time_column: time }'))),
      ),
    );
    expect(toHypertable).to.deep.equal([
      'dropForeignKey note.note_at_fkey',
      'createHypertable minute',
      'addForeignKey note.note_at_fkey',
    ]);
  });

  it('drops and re-adds a key around any change of the unique index it references', () => {
    const device = (index: string, serial = '') => `
  - name: Device
    fields:
      - { name: id, type: int, primary_key: true }
      - { name: serial, type: string, max_length: 20${serial} }${index}
  - name: Reading
    fields:
      - { name: time, type: datetime }
      - { name: serial, type: string, max_length: 20, references: Device.serial }
    timeseries: { time_column: time }`;
    const from = spec(models(device('\n    indexes: [ { columns: [serial], unique: true } ]')));
    const changed = [
      '\n    indexes: [ { columns: [serial], unique: true, include: [id] } ]',
      '\n    indexes: [ { name: device_serial_key, columns: [serial], unique: true } ]',
      '\n    indexes: [ { columns: [serial DESC], unique: true } ]',
    ].map((index) => spec(models(device(index))));
    // A field's `unique: true` becoming an index of the list with INCLUDE.
    const fieldUnique = spec(models(device('', ', unique: true')));
    changed.push(
      spec(models(device('\n    indexes: [ { columns: [serial], unique: true, include: [id] } ]'))),
    );
    for (const [a, b] of [
      ...changed.map((to) => [from, to] as const),
      [fieldUnique, changed[3]] as const,
    ]) {
      for (const [x, y] of [
        [a, b],
        [b, a],
      ] as const) {
        const s = steps(diffSpecs(x, y));
        expect(s[0]).to.equal('dropForeignKey reading.reading_serial_fkey');
        expect(s.at(-1)).to.equal('addForeignKey reading.reading_serial_fkey');
        expect(s.slice(1, -1).some((c) => c.startsWith('dropIndex'))).to.equal(true);
        expect(invertAll(diffSpecs(x, y))).to.deep.equal(diffSpecs(y, x));
      }
    }
    // An unchanged index keeps its key.
    const same = steps(
      diffSpecs(
        from,
        spec(models(device('\n    indexes: [ { columns: [serial], unique: true } ]'))),
      ),
    );
    expect(same).to.deep.equal([]);
  });

  it('drops and re-adds a key to a hypertable around a change of its unique time index', () => {
    const minute = (include: string) => `
  - name: Minute
    fields:
      - { name: time, type: datetime }
      - { name: total, type: float }
    timeseries:
      time_column: time
      indexes: [ { name: minute_time_key, columns: [time], unique: true${include} } ]
  - name: Note
    fields:
      - { name: id, type: int, primary_key: true }
      - { name: at, type: datetime, references: Minute.time }`;
    const s = steps(
      diffSpecs(spec(models(minute(''))), spec(models(minute(', include: [total]')))),
    );
    expect(s[0]).to.equal('dropForeignKey note.note_at_fkey');
    expect(s.at(-1)).to.equal('addForeignKey note.note_at_fkey');
    expect(s.slice(1, -1).some((c) => c.startsWith('dropIndex'))).to.equal(true);
  });

  it('has a total inverse for the key changes', () => {
    for (const c of diffSpecs(undefined, spec(models(DEVICE, READING, CYCLE)))) {
      expect(invert(invert(c))).to.deep.equal(c);
    }
    const from = spec(models(DEVICE, READING));
    const to = spec(models(DEVICE, READING.replace('on_delete: cascade', 'on_delete: restrict')));
    const changes = diffSpecs(from, to);
    expect(invertAll(changes)).to.deep.equal(diffSpecs(to, from));
  });
});
