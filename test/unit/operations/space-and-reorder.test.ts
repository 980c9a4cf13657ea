/** The SQL of addDimension, setNumberPartitions and the reorder policy operations, with reverses. */
import { expect } from 'chai';
import {
  addDimension,
  addReorderPolicy,
  createHypertable,
  removeReorderPolicy,
  revertHypertable,
  setNumberPartitions,
} from '../../../lib/operations/sql.js';

const sql = (s: string | string[]) => (Array.isArray(s) ? s.join('\n') : s);

describe('operations: space partitioning', () => {
  const out = sql(addDimension('readings', { column: 'device_id', partitions: 4 }));

  it('adds the hash dimension with by_hash from 2.13 and the named form before', () => {
    expect(out).to.include('IF ts_version >= ARRAY[2, 13] THEN');
    expect(out).to.include(
      `EXECUTE pg_catalog.format('SELECT %1$I.add_dimension(''"readings"''::pg_catalog.regclass, %1$I.by_hash(''device_id'', 4))', ts_schema);`,
    );
    expect(out).to.include(
      `EXECUTE pg_catalog.format('SELECT %1$I.add_dimension(''"readings"''::pg_catalog.regclass, ''device_id'', number_partitions => 4)', ts_schema);`,
    );
  });

  it('keeps an equal dimension and refuses one with other partitions', () => {
    expect(out).to.include(
      "WHERE d.hypertable_schema = rel_schema AND d.hypertable_name = rel_name AND d.column_name = 'device_id';",
    );
    expect(out).to.include('IF existing_partitions IS DISTINCT FROM 4 THEN');
    expect(out).to.include("HINT = 'change the number of partitions with setNumberPartitions';");
    expect(out).to.include(
      "RAISE NOTICE '%', 'prism: readings is already partitioned by device_id into 4 partitions, skipping';",
    );
  });

  it('is skipped on a plain table under auto and refused under require; hypertable feature only', () => {
    expect(out).to.include(
      "RAISE NOTICE '%', 'prism: add space partitioning skipped: readings is not a hypertable",
    );
    expect(out).to.not.include('ts_license IS DISTINCT FROM');
    const required = sql(
      addDimension('readings', { column: 'device_id', partitions: 4, timescale: 'require' }),
    );
    expect(required).to.include(
      "RAISE EXCEPTION USING MESSAGE = 'prism: cannot add space partitioning: readings is not a hypertable'",
    );
  });

  it('quotes hostile column names', () => {
    const hostile = sql(addDimension('readings', { column: "dev'ice", partitions: 2 }));
    expect(hostile).to.include("by_hash(''dev''''ice'', 2)");
  });

  it('refuses partitions outside 1..32767 and a missing column', () => {
    for (const partitions of [0, 32768, 2.5, Number.NaN]) {
      expect(
        () => addDimension('readings', { column: 'd', partitions }),
        String(partitions),
      ).to.throw(/needs \{ column, partitions \}: a column name and an integer from 1 to 32767/);
    }
    expect(() => addDimension('readings', { column: '', partitions: 2 })).to.throw(/needs/);
  });

  it('has no reverse: TimescaleDB cannot remove a dimension', () => {
    expect(() => addDimension.reverse('readings', { column: 'device_id', partitions: 4 })).to.throw(
      'Impossible to reverse addDimension(): TimescaleDB cannot remove a dimension; rebuild the table instead (revertHypertable, then createHypertable without it)',
    );
  });

  it('createHypertable adds the dimension in the same block, and revertHypertable re-creates it', () => {
    const create = sql(
      createHypertable('readings', {
        timeColumn: 'time',
        partitioning: { column: 'device_id', partitions: 4 },
      }),
    );
    expect(create.indexOf('create_hypertable')).to.be.lessThan(create.indexOf('add_dimension'));
    expect(create).to.include('existing_partitions int;');
    expect(create).to.include("by_hash(''device_id'', 4)");
    const back = sql(
      revertHypertable.reverse('readings', {
        timeColumn: 'time',
        partitioning: { column: 'device_id', partitions: 4 },
      }),
    );
    expect(back).to.equal(create);
    expect(sql(createHypertable('readings', { timeColumn: 'time' }))).to.not.include(
      'add_dimension',
    );
  });

  it('setNumberPartitions sets future chunks and reverses to the previous number', () => {
    const set = sql(
      setNumberPartitions('readings', { column: 'device_id', partitions: 8, previous: 4 }),
    );
    expect(set).to.include(
      `EXECUTE pg_catalog.format('SELECT %1$I.set_number_partitions(''"readings"''::pg_catalog.regclass, 8, ''device_id'')', ts_schema);`,
    );
    const back = sql(
      setNumberPartitions.reverse('readings', { column: 'device_id', partitions: 8, previous: 4 }),
    );
    expect(back).to.include(
      "set_number_partitions(''\"readings\"''::pg_catalog.regclass, 4, ''device_id'')",
    );
    expect(() =>
      setNumberPartitions.reverse('readings', { column: 'device_id', partitions: 8 }),
    ).to.throw(/without \{ previous \}/);
  });
});

describe('operations: reorder policies', () => {
  const add = sql(addReorderPolicy('readings', { index: 'readings_device_id_time_idx' }));

  it('adds the policy on the named index, licensed only', () => {
    expect(add).to.include("IF ts_license IS DISTINCT FROM 'timescale' THEN RAISE NOTICE");
    expect(add).to.include(
      `EXECUTE pg_catalog.format('SELECT %1$I.add_reorder_policy(''"readings"''::pg_catalog.regclass, ''readings_device_id_time_idx'')', ts_schema);`,
    );
  });

  it('keeps the same policy, refuses one on another index, and needs the index', () => {
    expect(add).to.include("WHERE j.proc_name = 'policy_reorder'");
    expect(add).to.include("IF existing_index = 'readings_device_id_time_idx' THEN");
    expect(add).to.include(
      "RAISE EXCEPTION USING MESSAGE = pg_catalog.format('prism: a reorder policy already exists on readings by index %s', existing_index),",
    );
    expect(add).to.include(
      "RAISE EXCEPTION USING MESSAGE = 'prism: readings has no index readings_device_id_time_idx to reorder by',",
    );
  });

  it('under require, an Apache-only server is an error', () => {
    const required = sql(
      addReorderPolicy('readings', { index: 'readings_time_idx', timescale: 'require' }),
    );
    expect(required).to.include(
      "IF ts_license IS DISTINCT FROM 'timescale' THEN RAISE EXCEPTION USING MESSAGE = 'prism: reorder policy on readings needs TimescaleDB: '",
    );
  });

  it('removes with if_exists; the reverses need the index', () => {
    const remove = sql(removeReorderPolicy('readings', { ifExists: true }));
    expect(remove).to.include(
      `EXECUTE pg_catalog.format('SELECT %1$I.remove_reorder_policy(''"readings"''::pg_catalog.regclass, if_exists => true)', ts_schema);`,
    );
    expect(sql(addReorderPolicy.reverse('readings', { index: 'i' }))).to.equal(remove);
    expect(
      sql(removeReorderPolicy.reverse('readings', { index: 'readings_device_id_time_idx' })),
    ).to.equal(add);
    expect(() => removeReorderPolicy.reverse('readings', {})).to.throw(
      'Impossible to reverse removeReorderPolicy() without the index: pass { index } with the index being removed, or write an explicit down',
    );
  });

  it('refuses a missing index name', () => {
    expect(() => addReorderPolicy('readings', { index: '' })).to.throw(
      'addReorderPolicy needs { index }: the name of an index of the hypertable',
    );
  });
});
