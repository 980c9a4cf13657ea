/**
 * `validate --json` (no database needed) on specs using every key of prism.yaml: the real
 * output conforms to spec/cli/validate.schema.json.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { runCli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/databases.js';
import { checkCliOutput, checkSchema, readSchema } from '../../helpers/json-schema.js';

/** The keys the examples leave out. */
const EVERY_KEY = `models:
  - name: Device
    fields:
      - { name: id, type: uuid, primary_key: true, default: gen_random_uuid() }
      - { name: serial, type: string, max_length: 40, unique: true }
      - { name: kind, type: enum, values: [meter, probe] }
      - { name: address, type: inet, optional: true }
      - { name: secret, type: bytea, optional: true }
      - { name: label, sql_type: 'public.citext', optional: true }
      - { name: location, sql_type: 'geometry(Point,4326)', optional: true }
      - { name: tags, type: text, array: true, optional: true }
      - { name: slots, type: smallint, optional: true, renamed_from: ports }
      - { name: active, type: boolean, default: true }
    indexes:
      - { name: device_active_kind_idx, columns: [kind, serial DESC NULLS LAST], where: 'active AND slots > 2', include: [address] }
      - { columns: [tags], type: gin }
  - name: Reading
    fields:
      - { name: time, type: timestamp }
      - { name: device_id, type: uuid, references: Device.id, on_delete: cascade, on_update: restrict }
      - { name: value, type: real }
      - { name: total, type: double, optional: true }
      - { name: amount, type: decimal, precision: 12, scale: 2, optional: true }
    timeseries:
      time_column: time
      chunk_interval: 1 day
      partitioning: { column: device_id, partitions: 4 }
      compression:
        after: 7 days
        segment_by: [device_id]
        order_by: [time DESC]
        chunk_interval: 7 days
        sparse_indexes: [{ column: value, type: minmax }, { column: total, type: bloom }]
      retention: { drop_after: 1 year }
      indexes:
        - { columns: [device_id, time DESC] }
        - { name: reading_big_idx, columns: [time DESC], where: 'value > 100', include: [total] }
      reorder: { index: [device_id, time DESC] }
  - name: Counter
    schema: telemetry
    fields:
      - { name: ts, type: bigint }
      - { name: n, type: int }
    timeseries:
      time_column: ts
      time_unit: ms
      chunk_interval: 86400000
      create_default_indexes: false
      retention: { drop_after: 604800000 }
environments:
  development:
    Reading: { chunk_interval: 12 hours, compression: { after: 1 day }, retention: { drop_after: 30 days } }
    Counter: { retention: { drop_after: 86400000 } }
`;

type Json = Record<string, unknown>;

async function validateJson(spec: string): Promise<Json> {
  const run = await runCli(['--json', '--spec', spec, 'validate'], {
    cwd: tempDir(),
    env: { DATABASE_URL: undefined },
  });
  expect(run.code, run.stderr || run.stdout).to.equal(0);
  expect(checkCliOutput('validate', run.stdout)).to.deep.equal([]);
  return JSON.parse(run.stdout) as Json;
}

function model(document: Json, name: string): Json {
  const models = (document['spec'] as Json)['models'] as Json[];
  const found = models.find((m) => m['name'] === name);
  if (found === undefined) throw new Error(`no model ${name}`);
  return found;
}

describe('validate --json conforms to spec/cli/validate.schema.json', function () {
  this.timeout(60_000);

  it('spec/examples/tsbs-cpu.yaml: model indexes, references, double, partitioning, no default index', async () => {
    const document = await validateJson(resolve('spec/examples/tsbs-cpu.yaml'));
    expect(model(document, 'Tag')['indexes']).to.have.length(2);
    const cpu = model(document, 'Cpu');
    expect(cpu['timeseries']).to.deep.include({
      createDefaultIndexes: false,
      partitioning: { column: 'tags_id', partitions: 2 },
    });
  });

  it('spec/examples/home-assistant-ltss.yaml: index orders and environments', async () => {
    const document = await validateJson(resolve('spec/examples/home-assistant-ltss.yaml'));
    const ts = model(document, 'State')['timeseries'] as Json;
    expect(ts['environments']).to.have.keys('development');
    expect((ts['indexes'] as Json[])[0]?.['columns']).to.deep.equal([
      { column: 'entity_id', direction: 'ASC' },
      { column: 'time', direction: 'DESC' },
    ]);
  });

  it('spec/examples/aggregates.yaml: continuous aggregates, hierarchical, with policies', async () => {
    const document = await validateJson(resolve('spec/examples/aggregates.yaml'));
    const aggregates = (model(document, 'Reading')['timeseries'] as Json)['aggregates'] as Json[];
    expect(aggregates.map((a) => a['name'])).to.deep.equal(['reading_hourly', 'reading_daily']);
    expect(aggregates[1]).to.include({ from: 'reading_hourly', realtime: false });
    expect(aggregates[0]?.['columns']).to.deep.include({ name: 'samples', function: 'count' });
  });

  it("spec/examples/aggregates.yaml with an environment's refresh policy", async () => {
    const file = join(tempDir(), 'prism.yaml');
    writeFileSync(
      file,
      `${readFileSync(resolve('spec/examples/aggregates.yaml'), 'utf8')}
environments:
  development:
    Reading:
      aggregates:
        reading_hourly: { refresh: { start_offset: 3 days, schedule_interval: 5 minutes } }
`,
    );
    const document = await validateJson(file);
    const ts = model(document, 'Reading')['timeseries'] as Json;
    const development = (ts['environments'] as Json)['development'] as Json;
    const refresh = ((development['aggregates'] as Json)['reading_hourly'] as Json)['refresh'];
    expect(refresh).to.deep.include({
      scheduleInterval: { kind: 'interval', text: '5 minutes', micros: '300000000' },
    });
    expect((refresh as Json)['startOffset']).to.deep.include({ kind: 'interval' });
  });

  it('a spec with every other key: sql_type, array, where/include, reorder, sparse indexes, compression chunk_interval, on_delete', async () => {
    const file = join(tempDir(), 'prism.yaml');
    writeFileSync(file, EVERY_KEY);
    const document = await validateJson(file);
    const fields = model(document, 'Device')['fields'] as Json[];
    const types = fields.map((f) => f['type']);
    expect(types).to.include.members(['inet', 'bytea', 'sql', 'smallint']);
    expect(fields.find((f) => f['name'] === 'location')?.['sqlType']).to.deep.equal({
      name: 'geometry',
      modifiers: ['Point', 4326],
      array: false,
    });
    expect(fields.find((f) => f['name'] === 'tags')?.['array']).to.equal(true);
    const index = (model(document, 'Device')['indexes'] as Json[])[0] as Json;
    expect(index).to.include.keys('where', 'include');
    const reading = model(document, 'Reading');
    const readingFields = reading['fields'] as Json[];
    expect(readingFields.find((f) => f['name'] === 'device_id')?.['references']).to.deep.equal({
      model: 'Device',
      field: 'id',
      onDelete: 'cascade',
      onUpdate: 'restrict',
    });
    const ts = reading['timeseries'] as Json;
    expect(ts).to.include.keys('reorder', 'environments', 'partitioning');
    expect(ts['compression']).to.include.keys('chunkInterval', 'sparseIndexes');
    expect(model(document, 'Counter')['timeseries']).to.include({ createDefaultIndexes: false });
  });

  it('spec/prism.schema.json accepts that spec too', () => {
    const editor = readSchema('spec/prism.schema.json');
    expect(checkSchema(editor, editor, parse(EVERY_KEY))).to.deep.equal([]);
  });

  it('the schema refuses what the output never has: an unknown key, a string index column', async () => {
    const document = await validateJson(resolve('spec/examples/home-assistant-ltss.yaml'));
    const state = model(document, 'State');
    const ts = state['timeseries'] as Json;
    (ts['indexes'] as Json[])[0] = { ...(ts['indexes'] as Json[])[0], columns: ['entity_id'] };
    state['extra'] = 1;
    const errors = checkCliOutput('validate', JSON.stringify(document));
    expect(errors.join('\n')).to.match(/unexpected property 'extra'/);
    expect(errors.join('\n')).to.match(/columns\[0\]: expected object, got string/);
  });
});
