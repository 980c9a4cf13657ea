/** The SQL each operation emits, its reverse, and the mode handling. */
import { expect } from 'chai';
import {
  addCompressionPolicy,
  addRetentionPolicy,
  createHypertable,
  disableCompression,
  enableCompression,
  removeCompressionPolicy,
  removeRetentionPolicy,
  revertHypertable,
  setChunkTimeInterval,
  setTimescaleModeOverride,
} from '../../../lib/operations/sql.js';
import { UsageError } from '../../../lib/errors.js';

const sql = (s: string | string[]) => (Array.isArray(s) ? s.join('\n') : s);

describe('operations', () => {
  afterEach(() => setTimescaleModeOverride(undefined));

  describe('createHypertable', () => {
    const out = sql(createHypertable('metrics', { timeColumn: 'time', chunkInterval: '1 day' }));

    it('calls both create_hypertable APIs, schema-qualified, chosen by version', () => {
      expect(out).to.include('IF ts_version >= ARRAY[2, 13] THEN');
      expect(out).to.include(
        `EXECUTE pg_catalog.format('SELECT %1$I.create_hypertable(''"metrics"''::pg_catalog.regclass, %1$I.by_range(''time'', INTERVAL ''1 day''), if_not_exists => false, migrate_data => true)', ts_schema);`,
      );
      expect(out).to.include(
        `EXECUTE pg_catalog.format('SELECT %1$I.create_hypertable(''"metrics"''::pg_catalog.regclass, ''time'', chunk_time_interval => INTERVAL ''1 day'', if_not_exists => false, migrate_data => true)', ts_schema);`,
      );
    });

    it('is a guarded DO block that skips with a NOTICE under auto', () => {
      expect(out).to.match(/^DO \$prism\$/);
      expect(out).to.include(
        `IF ts_schema IS NULL THEN RAISE NOTICE '%', 'prism: hypertable metrics skipped: ' || 'TimescaleDB is not available on this server'; RETURN; END IF;`,
      );
      expect(out).to.not.include('ts_license IS DISTINCT FROM');
    });

    it('creates the extension when the server has it and the library is preloaded', () => {
      const lines = out.split('\n').map((l) => l.trim());
      const at = (text: string) => lines.findIndex((l) => l.startsWith(text));
      const preloadCheck = at(
        "IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_settings WHERE name = 'timescaledb.disable_load') THEN RAISE NOTICE '%', 'prism: hypertable metrics skipped: ' || 'the timescaledb package is on this server but not loaded: add timescaledb to shared_preload_libraries",
      );
      const create = at(
        "EXECUTE pg_catalog.format('CREATE EXTENSION IF NOT EXISTS timescaledb SCHEMA %I', COALESCE((SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname = 'public'), pg_catalog.current_schema()));",
      );
      const noPrivilege = at(
        "EXCEPTION WHEN insufficient_privilege THEN RAISE NOTICE '%', 'prism: hypertable metrics skipped: ' || 'this user may not create the timescaledb extension here",
      );
      const created = at("RAISE NOTICE 'prism: created the timescaledb extension %");
      const missing = at('IF ts_schema IS NULL THEN');
      // Only when the package is there; the preload check comes first because creating it
      // without the preloaded library ends the session.
      expect(
        at(
          "IF ts_schema IS NULL AND EXISTS (SELECT 1 FROM pg_catalog.pg_available_extensions WHERE name = 'timescaledb') THEN",
        ),
      ).to.be.greaterThan(0);
      expect([preloadCheck, create, noPrivilege, created, missing].every((i) => i > 0)).to.equal(
        true,
      );
      expect(preloadCheck).to.be.lessThan(create);
      expect(create).to.be.lessThan(noPrivilege);
      expect(noPrivilege).to.be.lessThan(created);
      expect(created).to.be.lessThan(missing);
      expect(out).to.include(
        "PERFORM pg_catalog.set_config('client_min_messages', 'error', true);",
      );
    });

    it('under require, raises naming the setting or the privilege', () => {
      const req = sql(createHypertable('m', { timeColumn: 't', timescale: 'require' }));
      expect(req).to.include(
        "RAISE EXCEPTION USING MESSAGE = 'prism: hypertable m needs TimescaleDB: ' || 'the timescaledb package is on this server but not loaded: add timescaledb to shared_preload_libraries in postgresql.conf and restart the server'",
      );
      expect(req).to.include(
        "EXCEPTION WHEN insufficient_privilege THEN RAISE EXCEPTION USING MESSAGE = 'prism: hypertable m needs TimescaleDB: ' || 'this user may not create the timescaledb extension here (it needs CREATE on the database and on schema public, or a superuser to run CREATE EXTENSION timescaledb): ' || SQLERRM",
      );
    });

    it('is the only step that creates the extension', () => {
      const others = [
        revertHypertable('m', { timeColumn: 't' }),
        setChunkTimeInterval('m', { chunkInterval: '1 day' }),
        enableCompression('m', { segmentBy: ['d'] }),
        disableCompression('m'),
        addCompressionPolicy('m', { after: '7 days' }),
        removeCompressionPolicy('m'),
        addRetentionPolicy('m', { dropAfter: '7 days' }),
        removeRetentionPolicy('m'),
      ].map(sql);
      for (const s of others) expect(s).to.not.include('CREATE EXTENSION');
    });

    it('raises under require and emits only a comment under off', () => {
      expect(sql(createHypertable('m', { timeColumn: 't', timescale: 'require' }))).to.include(
        `RAISE EXCEPTION USING MESSAGE = 'prism: hypertable m needs TimescaleDB: ' || 'TimescaleDB is not available on this server'`,
      );
      expect(sql(createHypertable('m', { timeColumn: 't', timescale: 'off' }))).to.equal(
        '-- prism: timescale mode is off: hypertable m skipped',
      );
    });

    it('lets --timescale override the mode of every call', () => {
      setTimescaleModeOverride('off');
      expect(sql(createHypertable('m', { timeColumn: 't', timescale: 'require' }))).to.match(
        /^-- prism: timescale mode is off/,
      );
    });

    it('takes integer chunk intervals for integer time columns', () => {
      expect(sql(createHypertable('m', { timeColumn: 't', chunkInterval: 86400 }))).to.include(
        "by_range(''t'', 86400)",
      );
    });

    it('quotes hostile names and doubles quotes inside them', () => {
      const evil = sql(
        createHypertable({ schema: 'a"b', name: "x'); DROP TABLE y; --" }, { timeColumn: 'ts"' }),
      );
      expect(evil).to.include(`''"a""b"."x''''); DROP TABLE y; --"''::pg_catalog.regclass`);
      expect(evil).to.include(`by_range(''ts"''`);
    });

    it('picks a dollar-quote tag that the body does not contain', () => {
      const out2 = sql(createHypertable('$prism$', { timeColumn: 't' }));
      expect(out2).to.match(/^DO \$prism_1\$/);
    });

    it('refuses intervals outside the grammar', () => {
      expect(() =>
        createHypertable('m', { timeColumn: 't', chunkInterval: "1 day'; DROP TABLE m; --" }),
      ).to.throw(UsageError, /chunkInterval: invalid interval/);
      expect(() =>
        createHypertable('m', { timeColumn: 't', chunkInterval: '1 fortnight' }),
      ).to.throw(UsageError, /unknown unit "fortnight"/);
      expect(() => createHypertable('m', { timeColumn: 't', chunkInterval: -5 })).to.throw(
        UsageError,
        /must be positive/,
      );
    });

    it('reverses to revertHypertable', () => {
      expect(sql(createHypertable.reverse('m', { timeColumn: 't' }))).to.equal(
        sql(revertHypertable('m')),
      );
    });
  });

  describe('revertHypertable', () => {
    it('copies into a plain table and restores names', () => {
      const out = sql(revertHypertable('m'));
      expect(out).to.include('CREATE TABLE %s (LIKE %s INCLUDING ALL EXCLUDING INDEXES)');
      expect(out).to.include('OVERRIDING SYSTEM VALUE');
      expect(out).to.include('ALTER TABLE %s ADD CONSTRAINT %I %s');
    });
    it('reverses only when told the time column', () => {
      expect(() => revertHypertable.reverse('m', {})).to.throw(
        'Impossible to reverse revertHypertable() without the time column',
      );
      expect(
        sql(revertHypertable.reverse('m', { timeColumn: 't', chunkInterval: '2 days' })),
      ).to.equal(sql(createHypertable('m', { timeColumn: 't', chunkInterval: '2 days' })));
    });
  });

  describe('setChunkTimeInterval', () => {
    it('sets future chunks and reverses to the previous interval', () => {
      expect(sql(setChunkTimeInterval('m', { chunkInterval: '12 hours' }))).to.include(
        "SELECT %1$I.set_chunk_time_interval(''\"m\"''::pg_catalog.regclass, INTERVAL ''12 hours'')",
      );
      expect(
        sql(setChunkTimeInterval.reverse('m', { chunkInterval: '12 hours', previous: '1 day' })),
      ).to.include("INTERVAL ''1 day''");
      expect(() => setChunkTimeInterval.reverse('m', { chunkInterval: '1 day' })).to.throw(
        'without { previous }',
      );
    });
  });

  describe('compression', () => {
    it('enables with quoted segment-by and order-by, licensed-only', () => {
      const out = sql(
        enableCompression('m', {
          segmentBy: ['device', 'a"b'],
          orderBy: ['time DESC NULLS LAST', { column: 'v', direction: 'ASC' }],
        }),
      );
      expect(out).to.include(
        `EXECUTE 'ALTER TABLE "m" SET (timescaledb.compress, timescaledb.compress_segmentby = ''"device", "a""b"'', timescaledb.compress_orderby = ''"time" DESC NULLS LAST, "v" ASC'')';`,
      );
      expect(out).to.include(`IF ts_license IS DISTINCT FROM 'timescale' THEN RAISE NOTICE`);
    });
    it('refuses a malformed order-by', () => {
      expect(() => enableCompression('m', { orderBy: ['time; DROP'] })).to.throw(
        UsageError,
        /invalid order-by term/,
      );
    });
    it('disables after decompressing, refusing while a policy exists; reverses with the settings', () => {
      const out = sql(disableCompression('m'));
      expect(out).to.include('decompress_chunk(c, true)');
      expect(out).to.include('cannot disable compression on m while it has a compression policy');
      expect(out.indexOf('decompress_chunk')).to.be.lessThan(
        out.indexOf('timescaledb.compress = false'),
      );
      expect(() => disableCompression.reverse('m', {})).to.throw(
        'without the settings it turns off',
      );
      expect(sql(disableCompression.reverse('m', { segmentBy: ['d'] }))).to.equal(
        sql(enableCompression('m', { segmentBy: ['d'] })),
      );
      expect(sql(enableCompression.reverse('m', {}))).to.equal(sql(disableCompression('m')));
    });
  });

  describe('policies', () => {
    it('adds a compression policy, refusing a different existing one', () => {
      const out = sql(addCompressionPolicy('m', { after: '1 month' }));
      expect(out).to.include(
        "SELECT %1$I.add_compression_policy(''\"m\"''::pg_catalog.regclass, compress_after => INTERVAL ''1 month'')",
      );
      expect(out).to.include('a compression policy already exists on m with compress_after = %s');
      expect(out).to.not.include('skipping');
    });
    it('with ifNotExists skips an equal duration (compared as intervals)', () => {
      const out = sql(addRetentionPolicy('m', { dropAfter: '1 year', ifNotExists: true }));
      expect(out).to.include(
        "IF (job_config ->> 'drop_after')::pg_catalog.interval = INTERVAL '1 year' THEN",
      );
      expect(out).to.include('already exists with the same drop_after, skipping');
    });
    it('compares integer policies as integers', () => {
      expect(sql(addRetentionPolicy('m', { dropAfter: 1000, ifNotExists: true }))).to.include(
        "(job_config ->> 'drop_after')::bigint = 1000",
      );
    });
    it('reverse of add is remove if_exists; reverse of remove re-adds the given value', () => {
      expect(sql(addCompressionPolicy.reverse('m', { after: '7 days' }))).to.equal(
        sql(removeCompressionPolicy('m', { ifExists: true })),
      );
      expect(sql(removeRetentionPolicy.reverse('m', { dropAfter: '1 year' }))).to.equal(
        sql(addRetentionPolicy('m', { dropAfter: '1 year', ifNotExists: true })),
      );
      expect(() => removeCompressionPolicy.reverse('m', {})).to.throw(
        'Impossible to reverse removeCompressionPolicy() without the previous compress_after: pass { after }',
      );
      expect(() => removeRetentionPolicy.reverse('m', {})).to.throw('pass { dropAfter }');
    });
    it('removes with if_exists', () => {
      expect(sql(removeRetentionPolicy('m', { ifExists: true }))).to.include(
        "remove_retention_policy(''\"m\"''::pg_catalog.regclass, if_exists => true)",
      );
      expect(sql(removeRetentionPolicy('m'))).to.include('if_exists => false');
    });
  });
});

describe('operations refuse what could reach SQL unchecked', () => {
  it('keeps line breaks of a name out of the comment emitted under off', () => {
    const out = createHypertable('x\rDROP TABLE victim; --', {
      timeColumn: 'ts',
      timescale: 'off',
    }) as string;
    expect(out).to.not.match(/[\r\n]/);
    expect(out.startsWith('-- ')).to.equal(true);
  });
  it('refuses an integer-now unit from the prototype chain', async () => {
    const { setIntegerNowFunction } = await import('../../../lib/operations/sql.js');
    expect(() =>
      setIntegerNowFunction('m', {
        timeColumn: 't',
        columnType: 'bigint',
        unit: 'constructor' as 's',
      }),
    ).to.throw(UsageError);
  });
  it('refuses order-by objects with other directions or nulls', () => {
    expect(() =>
      enableCompression('m', { orderBy: [{ column: 'ts', direction: 'DESC; DROP' as 'DESC' }] }),
    ).to.throw(UsageError, /ASC or DESC/);
    expect(() =>
      enableCompression('m', {
        orderBy: [{ column: 'ts', direction: 'ASC', nulls: 'x' as 'FIRST' }],
      }),
    ).to.throw(UsageError, /FIRST or LAST/);
  });
});
