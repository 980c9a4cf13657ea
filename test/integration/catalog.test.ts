/**
 * The catalog reader on every kind of database: PostgreSQL without TimescaleDB, the
 * embedded TimescaleDB, and native TimescaleDB 2.28.3 (Timescale License and Apache-only)
 * and 2.12.2. Hand-written SQL covering each rule (defaults of every kind, identity, enum
 * and other CHECKs, unique constraints, index orders, expression/collated
 * indexes, foreign keys, exclusion constraints, triggers, partitions, hypertables with and
 * without TimescaleDB's default index, integer time with prism's integer-now function,
 * compression settings, policies, a space dimension) is read back as exact Table objects.
 * Then specs migrated by prism-migrate read back as `compileSpec` compiles them.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { readSchema } from '../../lib/catalog/read.js';
import { compileSpec } from '../../lib/schema/compile.js';
import type { Column, Hypertable, Index, Table, Unsupported } from '../../lib/schema/types.js';
import { parseSpec } from '../../lib/spec/load.js';
import type { Spec, TimeAmount } from '../../lib/spec/types.js';
import { parseInterval } from '../../lib/sql/interval.js';
import {
  createEmbeddedDatabase,
  createServerDatabase,
  type TestDatabase,
} from '../helpers/databases.js';
import { migratedDatabase } from '../helpers/migrated.js';
import {
  createNativeDatabase,
  CURRENT_TSL,
  describeEachNative,
  describeNative,
  type NativeServer,
} from '../helpers/timescale-servers.js';

// ---------------------------------------------------------------------------------------
// Hand-written tables

const PLAIN_SQL = [
  `CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.seen_at := now(); RETURN NEW; END$$`,
  `CREATE TABLE devices (
     id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
     serial varchar(64) NOT NULL UNIQUE,
     kind text NOT NULL DEFAULT 'thermometer' CHECK (kind IN ('thermometer', 'O''Brien')),
     solo text CHECK (solo = 'only'),
     level integer CHECK (level > 0),
     label text DEFAULT E'two\\nlines',
     n integer DEFAULT 42,
     neg integer DEFAULT -5,
     big bigint DEFAULT 9007199254740993,
     ratio double precision DEFAULT 1.5,
     price numeric(10,2) DEFAULT 1.50,
     active boolean NOT NULL DEFAULT true,
     since timestamptz DEFAULT '2024-01-01 00:00:00+00',
     meta jsonb DEFAULT '{"a": [1, 2]}',
     installed_on date DEFAULT CURRENT_DATE,
     seen_at timestamptz DEFAULT now(),
     later timestamptz DEFAULT now() + interval '1 day',
     seq bigint GENERATED ALWAYS AS IDENTITY,
     counter bigserial,
     code text COLLATE "C"
   )`,
  `CREATE INDEX devices_kind_since_idx ON devices (kind, since DESC)`,
  `CREATE INDEX devices_n_nulls_first_idx ON devices (n NULLS FIRST)`,
  `CREATE INDEX devices_ratio_desc_nulls_last_idx ON devices (ratio DESC NULLS LAST)`,
  `CREATE UNIQUE INDEX devices_label_idx ON devices (label)`,
  `CREATE INDEX devices_meta_idx ON devices USING gin (meta)`,
  `CREATE INDEX devices_since_brin_idx ON devices USING brin (since)`,
  `CREATE INDEX devices_serial_hash_idx ON devices USING hash (serial)`,
  `CREATE INDEX devices_active_n_idx ON devices (n) WHERE active`,
  `CREATE INDEX devices_lower_serial_idx ON devices (lower(serial))`,
  `CREATE INDEX devices_n_include_idx ON devices (n) INCLUDE (ratio)`,
  `CREATE INDEX devices_label_c_idx ON devices (label COLLATE "C")`,
  `CREATE INDEX devices_label_pattern_idx ON devices (label text_pattern_ops)`,
  `CREATE INDEX devices_label_spgist_idx ON devices USING spgist (label)`,
  `CREATE INDEX devices_code_idx ON devices (code)`,
  `CREATE INDEX devices_long_label_idx ON devices (n) WHERE length(label) > 3`,
  `CREATE INDEX devices_kind_in_idx ON devices (kind DESC) INCLUDE (n) WHERE kind IN ('thermometer', 'O''Brien') AND NOT active AND n <> -1`,
  `CREATE TRIGGER devices_touch BEFORE UPDATE ON devices FOR EACH ROW EXECUTE FUNCTION touch()`,
  `CREATE TABLE bookings (
     id bigint NOT NULL,
     device_id uuid REFERENCES devices (id) ON DELETE CASCADE,
     during tstzrange,
     "Note ""x""" text,
     CONSTRAINT bookings_pk PRIMARY KEY (device_id, id),
     CONSTRAINT bookings_id_key UNIQUE (id) DEFERRABLE,
     EXCLUDE USING gist (during WITH &&),
     CONSTRAINT bookings_pair_fkey FOREIGN KEY (device_id, id) REFERENCES bookings (device_id, id)
   )`,
  `CREATE INDEX bookings_during_idx ON bookings USING gist (during)`,
  `CREATE TABLE dups (v int)`,
  `INSERT INTO dups VALUES (1), (1)`,
  `CREATE TABLE events (at integer NOT NULL, v int) PARTITION BY RANGE (at)`,
  `CREATE TABLE events_low PARTITION OF events FOR VALUES FROM (0) TO (100)`,
  `CREATE TABLE ext_owned (x int)`,
  // An extension's own table is not the user's (plpgsql is in every database).
  `ALTER EXTENSION plpgsql ADD TABLE ext_owned`,
  `CREATE SCHEMA other`,
  `CREATE TABLE other.notes (body text NOT NULL DEFAULT '')`,
];

/** Leaves an invalid index behind: a unique index built concurrently over duplicates. */
const INVALID_INDEX_SQL = `CREATE UNIQUE INDEX CONCURRENTLY dups_v_idx ON dups (v)`;

const col = (
  name: string,
  type: string,
  notNull: boolean,
  extra: Partial<Column> = {},
): Column => ({ name, type, notNull, ...extra });
const lit = (value: string | number | boolean) => ({ kind: 'literal' as const, value });
const fn = (name: 'now' | 'gen_random_uuid' | 'current_date') => ({
  kind: 'function' as const,
  name,
});
const asc = (column: string) => ({ column, direction: 'ASC' as const });
const desc = (column: string) => ({ column, direction: 'DESC' as const });
const btree = (name: string, columns: Index['columns'], unique = false): Index => ({
  name,
  columns,
  method: 'btree',
  unique,
});
const unsupported = (what: string, detail: string): Unsupported => ({ what, detail });
const indexDef = (reason: string, def: string) => `${reason}: ${def}`;

const DEVICES: Table = {
  schema: 'public',
  name: 'devices',
  columns: [
    col('id', 'uuid', true, { default: fn('gen_random_uuid') }),
    col('serial', 'character varying(64)', true),
    col('kind', 'text', true, { default: lit('thermometer') }),
    col('solo', 'text', false),
    col('level', 'integer', false),
    col('label', 'text', false, { default: lit('two\nlines') }),
    col('n', 'integer', false, { default: lit(42) }),
    col('neg', 'integer', false, { default: lit(-5) }),
    col('big', 'bigint', false, { default: lit('9007199254740993') }),
    col('ratio', 'double precision', false, { default: lit(1.5) }),
    col('price', 'numeric(10,2)', false, { default: lit('1.50') }),
    col('active', 'boolean', true, { default: lit(true) }),
    col('since', 'timestamp with time zone', false, { default: lit('2024-01-01 00:00:00+00') }),
    col('meta', 'jsonb', false, { default: lit('{"a": [1, 2]}') }),
    col('installed_on', 'date', false, { default: fn('current_date') }),
    col('seen_at', 'timestamp with time zone', false, { default: fn('now') }),
    col('later', 'timestamp with time zone', false, {
      default: { kind: 'expression', sql: "(now() + '1 day'::interval)" },
    }),
    col('seq', 'bigint', true, { identity: 'always' }),
    col('counter', 'bigint', true, {
      default: { kind: 'expression', sql: "nextval('devices_counter_seq'::regclass)" },
    }),
    col('code', 'text', false),
  ],
  primaryKey: { name: 'devices_pkey', columns: ['id'] },
  checks: [
    { name: 'devices_kind_check', column: 'kind', values: ['thermometer', "O'Brien"] },
    { name: 'devices_solo_check', column: 'solo', values: ['only'] },
  ],
  indexes: [
    { ...btree('devices_active_n_idx', [asc('n')]), where: 'active' },
    btree('devices_code_idx', [asc('code')]),
    {
      ...btree('devices_kind_in_idx', [desc('kind')]),
      where: "kind IN ('thermometer', 'O''Brien') AND NOT active AND n <> -1",
      include: ['n'],
    },
    btree('devices_kind_since_idx', [asc('kind'), desc('since')]),
    btree('devices_label_idx', [asc('label')], true),
    { name: 'devices_meta_idx', columns: [asc('meta')], method: 'gin', unique: false },
    { ...btree('devices_n_include_idx', [asc('n')]), include: ['ratio'] },
    btree('devices_n_nulls_first_idx', [{ column: 'n', direction: 'ASC', nulls: 'FIRST' }]),
    btree('devices_ratio_desc_nulls_last_idx', [
      { column: 'ratio', direction: 'DESC', nulls: 'LAST' },
    ]),
    { name: 'devices_serial_hash_idx', columns: [asc('serial')], method: 'hash', unique: false },
    btree('devices_serial_key', [asc('serial')], true),
    { name: 'devices_since_brin_idx', columns: [asc('since')], method: 'brin', unique: false },
  ],
  unsupported: [
    unsupported('column code', 'collation "C"'),
    unsupported(
      'constraint devices_level_check',
      "a CHECK that is not an enum's values: CHECK ((level > 0))",
    ),
    unsupported(
      'index devices_label_c_idx',
      indexDef(
        'a collation of its own',
        'CREATE INDEX devices_label_c_idx ON public.devices USING btree (label COLLATE "C")',
      ),
    ),
    unsupported(
      'index devices_label_pattern_idx',
      indexDef(
        'a non-default operator class',
        'CREATE INDEX devices_label_pattern_idx ON public.devices USING btree (label text_pattern_ops)',
      ),
    ),
    unsupported(
      'index devices_label_spgist_idx',
      indexDef(
        'method spgist',
        'CREATE INDEX devices_label_spgist_idx ON public.devices USING spgist (label)',
      ),
    ),
    unsupported(
      'index devices_long_label_idx',
      indexDef(
        'a partial index whose condition is not in prism.yaml\'s grammar (expected ")" at character 8, found "(")',
        'CREATE INDEX devices_long_label_idx ON public.devices USING btree (n) WHERE (length(label) > 3)',
      ),
    ),
    unsupported(
      'index devices_lower_serial_idx',
      indexDef(
        'on an expression',
        'CREATE INDEX devices_lower_serial_idx ON public.devices USING btree (lower((serial)::text))',
      ),
    ),
    unsupported(
      'trigger devices_touch',
      'CREATE TRIGGER devices_touch BEFORE UPDATE ON public.devices FOR EACH ROW EXECUTE FUNCTION touch()',
    ),
  ],
};

const BOOKINGS: Table = {
  schema: 'public',
  name: 'bookings',
  columns: [
    col('id', 'bigint', true),
    col('device_id', 'uuid', true),
    col('during', 'tstzrange', false),
    col('Note "x"', 'text', false),
  ],
  primaryKey: { name: 'bookings_pk', columns: ['device_id', 'id'] },
  checks: [],
  indexes: [
    { name: 'bookings_during_idx', columns: [asc('during')], method: 'gist', unique: false },
  ],
  foreignKeys: [
    {
      name: 'bookings_device_id_fkey',
      column: 'device_id',
      references: { schema: 'public', table: 'devices', column: 'id' },
      onDelete: 'cascade',
      onUpdate: 'no action',
    },
  ],
  unsupported: [
    unsupported(
      'constraint bookings_during_excl',
      'an exclusion constraint: EXCLUDE USING gist (during WITH &&)',
    ),
    unsupported(
      'constraint bookings_pair_fkey',
      'a foreign key on several columns, deferrable or MATCH FULL: FOREIGN KEY (device_id, id) REFERENCES bookings(device_id, id)',
    ),
    unsupported(
      'index bookings_id_key',
      indexDef(
        'a deferrable constraint',
        'CREATE UNIQUE INDEX bookings_id_key ON public.bookings USING btree (id)',
      ),
    ),
  ],
};

const plainTable = (name: string, columns: Column[], extra: Unsupported[] = []): Table => ({
  schema: 'public',
  name,
  columns,
  checks: [],
  indexes: [],
  unsupported: extra,
});

const DUPS = plainTable(
  'dups',
  [col('v', 'integer', false)],
  [
    unsupported(
      'index dups_v_idx',
      indexDef('not valid', 'CREATE UNIQUE INDEX dups_v_idx ON public.dups USING btree (v)'),
    ),
  ],
);
const EVENT_COLUMNS = [col('at', 'integer', true), col('v', 'integer', false)];
const EVENTS = plainTable('events', EVENT_COLUMNS, [
  unsupported('table', 'a partitioned table: PARTITION BY RANGE (at)'),
]);
const EVENTS_LOW = plainTable('events_low', EVENT_COLUMNS, [
  unsupported('table', 'a partition of public.events FOR VALUES FROM (0) TO (100)'),
]);
const NOTES: Table = {
  ...plainTable('notes', [col('body', 'text', true, { default: lit('') })]),
  schema: 'other',
};

// TimescaleDB tables: `licensed` adds compression and policies (not on the Apache build).

const TIMESCALE_SQL = [
  `CREATE TABLE metrics (ts timestamptz NOT NULL, device text NOT NULL, value double precision)`,
  `SELECT create_hypertable('metrics', 'ts', chunk_time_interval => interval '1 day')`,
  `CREATE INDEX metrics_device_ts_idx ON metrics (device, ts DESC)`,
  `CREATE TABLE own_index (ts timestamptz NOT NULL, v int)`,
  `SELECT create_hypertable('own_index', 'ts', create_default_indexes => false, chunk_time_interval => interval '36 hours')`,
  `CREATE INDEX own_index_ts_idx ON own_index (ts)`,
  `CREATE INDEX own_index_ts_v_idx ON own_index (ts DESC, v)`,
  `CREATE TABLE counters (tick bigint NOT NULL, n int)`,
  `SELECT create_hypertable('counters', 'tick', chunk_time_interval => 86400000)`,
  // As setIntegerNowFunction writes it for time_unit ms.
  `CREATE FUNCTION counters_prism_now() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT (extract(epoch FROM now()) * 1000)::bigint'`,
  `SELECT set_integer_now_func('counters', 'counters_prism_now')`,
  // Chunks in public: still TimescaleDB's, not tables of the user.
  `CREATE TABLE ticks (tick integer NOT NULL)`,
  `SELECT create_hypertable('ticks', 'tick', chunk_time_interval => 1000, associated_schema_name => 'public')`,
  `CREATE FUNCTION ticks_now() RETURNS integer LANGUAGE sql STABLE AS 'SELECT 0'`,
  `SELECT set_integer_now_func('ticks', 'ticks_now')`,
  `INSERT INTO ticks SELECT g FROM generate_series(0, 2999) g`,
  `CREATE TABLE spaced (ts timestamptz NOT NULL, dev int NOT NULL, v double precision)`,
  `SELECT create_hypertable('spaced', 'ts', 'dev', 4)`,
];

const LICENSED_SQL = [
  `ALTER TABLE metrics SET (timescaledb.compress, timescaledb.compress_segmentby = 'device',
                            timescaledb.compress_orderby = 'ts DESC, value NULLS FIRST')`,
  `SELECT add_compression_policy('metrics', interval '1 month')`,
  `SELECT add_retention_policy('metrics', interval '1 year 2 days')`,
  `ALTER TABLE counters SET (timescaledb.compress, timescaledb.compress_segmentby = 'n')`,
  `SELECT add_compression_policy('counters', 604800000::bigint)`,
  `SELECT add_retention_policy('counters', 7776000000::bigint)`,
  `ALTER TABLE spaced SET (timescaledb.compress)`,
  `SELECT add_reorder_policy('spaced', 'spaced_ts_idx')`,
];

/** Policies by creation time (TimescaleDB 2.13 and later with the licence). */
const CREATED_BEFORE_SQL = [
  `CREATE TABLE aged (ts timestamptz NOT NULL)`,
  `SELECT create_hypertable('aged', 'ts')`,
  `ALTER TABLE aged SET (timescaledb.compress)`,
  `SELECT add_compression_policy('aged', compress_created_before => interval '7 days')`,
  `SELECT add_retention_policy('aged', drop_created_before => interval '30 days')`,
];

function interval(text: string): TimeAmount {
  const parsed = parseInterval(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return { kind: 'interval', interval: parsed.interval };
}
const integer = (value: bigint): TimeAmount => ({ kind: 'integer', value });

interface TimescaleTraits {
  /** Compression and policies (the Timescale License build). */
  readonly licensed: boolean;
  /** Policies by creation time can be added (2.13 and later). */
  readonly createdBefore: boolean;
}

function timescaleTables(traits: TimescaleTraits): Table[] {
  const { licensed } = traits;
  const hypertable = (h: Hypertable, licensedPart: Partial<Hypertable>): Hypertable =>
    licensed ? { ...h, ...licensedPart } : h;
  const tables: Table[] = [
    {
      ...plainTable('counters', [col('tick', 'bigint', true), col('n', 'integer', false)]),
      hypertable: hypertable(
        {
          timeColumn: 'tick',
          chunkInterval: integer(86_400_000n),
          integerNow: { function: 'counters_prism_now', unit: 'ms' },
        },
        {
          compression: { segmentBy: ['n'], orderBy: [] },
          compressAfter: integer(604_800_000n),
          dropAfter: integer(7_776_000_000n),
        },
      ),
    },
    {
      ...plainTable('metrics', [
        col('ts', 'timestamp with time zone', true),
        col('device', 'text', true),
        col('value', 'double precision', false),
      ]),
      // metrics_ts_idx, TimescaleDB's default index, is left out.
      indexes: [btree('metrics_device_ts_idx', [asc('device'), desc('ts')])],
      hypertable: hypertable(
        { timeColumn: 'ts', chunkInterval: interval('1 day') },
        {
          compression: {
            segmentBy: ['device'],
            orderBy: [desc('ts'), { column: 'value', direction: 'ASC', nulls: 'FIRST' }],
          },
          compressAfter: interval('1 month'),
          dropAfter: interval('1 year 2 days'),
        },
      ),
    },
    {
      ...plainTable('own_index', [
        col('ts', 'timestamp with time zone', true),
        col('v', 'integer', false),
      ]),
      indexes: [
        btree('own_index_ts_idx', [asc('ts')]),
        btree('own_index_ts_v_idx', [desc('ts'), asc('v')]),
      ],
      // create_default_indexes => false: no (ts DESC) index, so the reader says so.
      hypertable: {
        timeColumn: 'ts',
        chunkInterval: interval('1 day 12 hours'),
        createDefaultIndexes: false,
      },
    },
    {
      ...plainTable('spaced', [
        col('ts', 'timestamp with time zone', true),
        col('dev', 'integer', true),
        col('v', 'double precision', false),
      ]),
      // TimescaleDB's (ts DESC) index is left out; the (dev, ts DESC) one that the old
      // create_hypertable(…, 'dev', 4) made is read as the table's own: migrations add
      // dimensions with add_dimension, which makes none, so a spec states it as an index.
      indexes: [
        {
          name: 'spaced_dev_ts_idx',
          columns: [
            { column: 'dev', direction: 'ASC' },
            { column: 'ts', direction: 'DESC' },
          ],
          method: 'btree',
          unique: false,
        },
      ],
      hypertable: hypertable(
        {
          timeColumn: 'ts',
          chunkInterval: interval('7 days'),
          partitioning: { column: 'dev', partitions: 4 },
        },
        { compression: { segmentBy: [], orderBy: [] }, reorderIndex: 'spaced_ts_idx' },
      ),
    },
    {
      ...plainTable('ticks', [col('tick', 'integer', true)]),
      hypertable: {
        timeColumn: 'tick',
        chunkInterval: integer(1000n),
        integerNow: { function: 'ticks_now' },
      },
    },
  ];
  if (licensed && traits.createdBefore) {
    tables.push({
      ...plainTable(
        'aged',
        [col('ts', 'timestamp with time zone', true)],
        [
          unsupported(
            'job policy_compression',
            'a policy by compress_created_before (prism.yaml states policies by compress_after); config {"compress_created_before": "7 days"}',
          ),
          unsupported(
            'job policy_retention',
            'a policy by drop_created_before (prism.yaml states policies by drop_after); config {"drop_created_before": "30 days"}',
          ),
        ],
      ),
      hypertable: {
        timeColumn: 'ts',
        chunkInterval: interval('7 days'),
        compression: { segmentBy: [], orderBy: [] },
      },
    });
  }
  return tables;
}

const byName = (a: { name: string }, b: { name: string }) =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

async function run(client: pg.ClientBase, statements: readonly string[]): Promise<void> {
  for (const sql of statements) await client.query(sql);
}

/** Whether this TimescaleDB takes policies by creation time. */
async function takesCreatedBefore(client: pg.ClientBase): Promise<boolean> {
  const { rows } = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_catalog.pg_proc
      WHERE proname = 'add_retention_policy' AND 'drop_created_before' = ANY (proargnames)`,
  );
  return (rows[0]?.n ?? 0) > 0;
}

interface Target {
  readonly title: string;
  /** null: PostgreSQL without TimescaleDB. */
  readonly timescale: { readonly licensed: boolean } | null;
  open(): Promise<TestDatabase>;
}

function describeHandWritten(target: Target): void {
  describe(`hand-written tables read back on ${target.title}`, function () {
    this.timeout(300_000);
    let db: TestDatabase;
    let client: pg.Client;
    let expected: Table[];
    let closed = false;

    before(async () => {
      db = await target.open();
      client = new pg.Client({ connectionString: db.url });
      await client.connect();
      await run(client, PLAIN_SQL);
      await client.query(INVALID_INDEX_SQL).then(
        () => expect.fail('the unique index over duplicates was built'),
        (error: Error) => expect(error.message).to.match(/could not create unique index/),
      );
      let tsTables: Table[] = [];
      if (target.timescale) {
        await client.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
        await run(client, TIMESCALE_SQL);
        const licensed = target.timescale.licensed;
        const createdBefore = licensed && (await takesCreatedBefore(client));
        const { rows } = await client.query<{ v: string }>(
          `SELECT extversion AS v FROM pg_catalog.pg_extension WHERE extname = 'timescaledb'`,
        );
        // Every licensed version here but 2.12 has policies by creation time.
        expect(createdBefore, rows[0]?.v).to.equal(licensed && !rows[0]?.v.startsWith('2.12.'));
        if (licensed) await run(client, LICENSED_SQL);
        if (createdBefore) await run(client, CREATED_BEFORE_SQL);
        tsTables = timescaleTables({ licensed, createdBefore });
      }
      expected = [DEVICES, BOOKINGS, DUPS, EVENTS, EVENTS_LOW, ...tsTables].sort(byName);
    });
    after(async () => {
      if (!closed) await client?.end();
      await db?.dispose();
    });

    it('reads every table of the current schema as the exact Table', async () => {
      const schema = await readSchema(client);
      expect(schema.tables.map((t) => t.name)).to.deep.equal(expected.map((t) => t.name));
      for (const [i, table] of schema.tables.entries()) {
        expect(table, table.name).to.deep.equal(expected[i]);
      }
    });

    it('leaves out chunks, TimescaleDB schemas and extension-owned tables', async () => {
      const { rows } = await client.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1`,
      );
      const names = rows.map((r) => r.name);
      expect(names).to.include('ext_owned');
      // ticks keeps its chunks in public.
      if (target.timescale) expect(names.some((n) => n.startsWith('_hyper_'))).to.equal(true);
      const schemas = (
        await readSchema(client, { schemas: ['public', 'other', '_timescaledb_internal'] })
      ).tables;
      expect(schemas.map((t) => `${t.schema}.${t.name}`)).to.deep.equal([
        'other.notes',
        ...expected.map((t) => `public.${t.name}`),
      ]);
    });

    it('reads the named tables as the search path resolves them, sorted, and only those found', async () => {
      const named = await readSchema(client, {
        tables: ['notes', 'events_low', 'devices', 'nope'],
      });
      expect(named.tables).to.deep.equal([DEVICES, EVENTS_LOW]);
      // One session: the embedded database serves one at a time.
      const { rows } = await client.query<{ path: string }>(
        `SELECT pg_catalog.current_setting('search_path') AS path`,
      );
      await client.query('SET search_path TO other, public');
      try {
        const both = await readSchema(client, { tables: ['devices', 'notes'], schemas: ['nope'] });
        expect(both.tables).to.deep.equal([NOTES, DEVICES]);
        expect((await readSchema(client)).tables).to.deep.equal([NOTES]);
        expect((await readSchema(client, { schemas: ['other'] })).tables).to.deep.equal([NOTES]);
        expect((await readSchema(client, { tables: [] })).tables).to.deep.equal([]);
      } finally {
        await client.query(`SELECT pg_catalog.set_config('search_path', $1, false)`, [
          rows[0]?.path,
        ]);
      }
    });

    it('gives frozen results, through a pool as well', async () => {
      await client.end();
      closed = true;
      const pool = new pg.Pool({ connectionString: db.url, max: 1 });
      try {
        const schema = await readSchema(pool, { tables: ['devices'] });
        expect(schema.tables).to.deep.equal([DEVICES]);
        const devices = schema.tables[0];
        expect(Object.isFrozen(schema)).to.equal(true);
        expect(Object.isFrozen(devices?.columns[0]?.default)).to.equal(true);
        expect(Object.isFrozen(devices?.indexes[1]?.columns[1])).to.equal(true);
      } finally {
        await pool.end();
      }
    });
  });
}

describeHandWritten({
  title: 'PostgreSQL without TimescaleDB',
  timescale: null,
  open: () => createServerDatabase('prism_catalog'),
});

describeHandWritten({
  title: 'the embedded TimescaleDB',
  timescale: { licensed: true },
  open: () => createEmbeddedDatabase(),
});

describeEachNative('the catalog reader', (server: NativeServer) => {
  describeHandWritten({
    title: server.label,
    timescale: { licensed: server.license === 'timescale' },
    open: () => createNativeDatabase(server),
  });
});

// ---------------------------------------------------------------------------------------
// Migrated specs read back as compiled

/** Every default kind and enum and index prism.yaml has, beside the example specs. */
const DEFAULTS_SPEC = `timescale: auto
models:
  - name: Gadget
    fields:
      - { name: id, type: uuid, primary_key: true, default: gen_random_uuid() }
      - { name: name, type: string, max_length: 40, unique: true, default: "it's" }
      - { name: note, type: text, default: "two\\nlines" }
      - { name: count, type: int, default: -5, index: true }
      - { name: total, type: bigint, default: 10000000000 }
      - { name: ratio, type: float, default: 0.1 }
      - { name: price, type: decimal, precision: 10, scale: 2, default: 1.5 }
      - { name: exact, type: decimal, default: '12.50' }
      - { name: active, type: boolean, default: true }
      - { name: status, type: enum, values: [new, "O'Brien"], default: new }
      - { name: since, type: datetime, default: '2024-01-01T00:00:00Z' }
      - { name: seen_at, type: datetime, default: now() }
      - { name: day, type: date, default: '2024-01-31' }
      - { name: today, type: date, default: current_date }
      - { name: at, type: time, default: '08:30:00' }
      - { name: meta, type: json, optional: true, default: '{"a": [1, 2]}' }
  - name: Sample
    fields:
      - { name: gadget_id, type: uuid, primary_key: true }
      - { name: taken_at, type: datetime, primary_key: true }
      - { name: level, type: enum, values: [low, high] }
      - { name: v, type: float, optional: true }
    timeseries:
      time_column: taken_at
      chunk_interval: 12 hours
      compression:
        after: 2 weeks
        segment_by: [gadget_id]
        order_by: [taken_at DESC, v ASC NULLS FIRST]
      retention: { drop_after: 1 year }
      indexes:
        - { columns: [level, taken_at], type: brin }
`;

interface SpecCase {
  readonly label: string;
  readonly spec: Spec;
  /** A model with `timescale: require` cannot be migrated without TimescaleDB. */
  readonly requiresTimescale: boolean;
}

function specCase(file: string): SpecCase {
  const spec = parseSpec(readFileSync(resolve(file), 'utf8'), file).spec;
  return {
    label: file,
    spec,
    requiresTimescale: spec.models.some((m) => m.timescale === 'require'),
  };
}

const SPEC_CASES: readonly SpecCase[] = [
  specCase('spec/examples/datapoint.yaml'),
  specCase('spec/examples/iot-sensors.yaml'),
  specCase('spec/examples/web-analytics.yaml'),
  specCase('test/fixtures/specs/minimal.yaml'),
  {
    label: 'defaults spec',
    spec: parseSpec(DEFAULTS_SPEC, 'prism.yaml').spec,
    requiresTimescale: false,
  },
];

/** A time amount as a duration, for comparing `1 week` with `7 days`. */
function amount(a: TimeAmount | undefined): string | undefined {
  if (a === undefined) return undefined;
  return a.kind === 'integer' ? `${a.value}` : `${a.interval.micros} µs`;
}

function comparableHypertable(h: Hypertable | undefined) {
  if (h === undefined) return undefined;
  return {
    ...h,
    chunkInterval: amount(h.chunkInterval),
    compressAfter: amount(h.compressAfter),
    dropAfter: amount(h.dropAfter),
  };
}

const defaultKind = (c: Column) =>
  c.default === undefined
    ? undefined
    : c.default.kind === 'function'
      ? { kind: 'function', name: c.default.name }
      : { kind: c.default.kind };

/**
 * Compares what the reader gives with what the spec compiles to, table by table. Literal
 * defaults are compared by kind; where their values differ, the difference is returned.
 */
function compareWithCompiled(live: Table, compiled: Table, withHypertable: boolean): string[] {
  const label = `${compiled.name}`;
  expect(
    live.columns.map((c) => ({ name: c.name, type: c.type, notNull: c.notNull })),
    `${label} columns`,
  ).to.deep.equal(
    compiled.columns.map((c) => ({ name: c.name, type: c.type, notNull: c.notNull })),
  );
  expect(live.columns.map(defaultKind), `${label} defaults`).to.deep.equal(
    compiled.columns.map(defaultKind),
  );
  expect(live.primaryKey, `${label} primary key`).to.deep.equal(compiled.primaryKey);
  expect(live.checks, `${label} checks`).to.deep.equal([...compiled.checks].sort(byName));
  expect(live.indexes, `${label} indexes`).to.deep.equal([...compiled.indexes].sort(byName));
  expect(comparableHypertable(live.hypertable), `${label} hypertable`).to.deep.equal(
    withHypertable ? comparableHypertable(compiled.hypertable) : undefined,
  );
  expect(live.unsupported, `${label} unsupported`).to.deep.equal([]);
  const mismatches: string[] = [];
  live.columns.forEach((c, i) => {
    const want = compiled.columns[i]?.default;
    if (
      c.default?.kind === 'literal' &&
      want?.kind === 'literal' &&
      c.default.value !== want.value
    ) {
      mismatches.push(
        `${label}.${c.name} (${c.type}): spec ${JSON.stringify(want.value)}, catalog ${JSON.stringify(c.default.value)}`,
      );
    }
  });
  return mismatches;
}

/**
 * Where TimescaleDB is, but not yet created (native servers), a spec without timeseries
 * models leaves it uncreated: its tables are plain ones there.
 */
function describeMigrated(
  title: string,
  create: () => Promise<TestDatabase>,
  where: 'postgres' | 'embedded' | 'native',
): void {
  describe(`migrated specs read back as compiled on ${title}`, function () {
    this.timeout(600_000);
    for (const c of SPEC_CASES) {
      const timescale =
        where === 'embedded' ||
        (where === 'native' && c.spec.models.some((m) => m.timeseries && m.timescale !== 'off'));
      if (c.requiresTimescale && where === 'postgres') continue;
      it(`${c.label}: columns, keys, CHECKs, indexes${timescale ? ' and hypertables' : ''}`, async () => {
        const { db, client } = await migratedDatabase(
          create,
          c.spec,
          timescale ? 'timescale' : 'postgres',
        );
        try {
          const compiled = compileSpec(c.spec);
          const live = await readSchema(client, { tables: compiled.tables.map((t) => t.name) });
          expect(live.tables.map((t) => t.name)).to.deep.equal(
            compiled.tables.map((t) => t.name).sort(),
          );
          const mismatches = compiled.tables.flatMap((t) =>
            compareWithCompiled(live.tables.find((l) => l.name === t.name) as Table, t, timescale),
          );
          if (mismatches.length > 0) {
            console.log(`      literal defaults that read back otherwise (${c.label}):`);
            for (const m of mismatches) console.log(`        ${m}`);
          }
        } finally {
          await client.end();
          await db.dispose();
        }
      });
    }
  });
}

describeMigrated(
  'PostgreSQL without TimescaleDB',
  () => createServerDatabase('prism_catalog'),
  'postgres',
);
describeMigrated('the embedded TimescaleDB', () => createEmbeddedDatabase(), 'embedded');
describeNative(CURRENT_TSL, 'migrated specs', (server) => {
  describeMigrated(server.label, () => createNativeDatabase(server), 'native');
});
describeNative({ license: 'timescale', before213: true }, 'migrated specs', (server) => {
  describeMigrated(server.label, () => createNativeDatabase(server), 'native');
});
