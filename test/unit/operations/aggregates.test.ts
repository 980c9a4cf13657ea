/** The SQL of the aggregate operations, with their reverses, and the refresh markers. */
import { expect } from 'chai';
import { UsageError } from '../../../lib/errors.js';
import {
  findRefreshMarkers,
  refreshMarker,
} from '../../../lib/operations/aggregates/refresh-marker.js';
import { STAND_IN_COMMENT } from '../../../lib/operations/aggregates/definition.js';
import {
  addAggregateCompressionPolicy,
  addAggregateRetentionPolicy,
  addContinuousAggregatePolicy,
  createContinuousAggregate,
  disableAggregateCompression,
  dropContinuousAggregate,
  enableAggregateCompression,
  removeAggregateRetentionPolicy,
  removeContinuousAggregatePolicy,
  setAggregateRealtime,
} from '../../../lib/operations/sql.js';
import { aggregatesToRefresh } from '../../../lib/runner/refresh.js';

const sql = (s: string | string[]) => (Array.isArray(s) ? s.join('\n') : s);

const HOURLY = {
  source: 'reading',
  timeColumn: 'recorded_at',
  bucket: '1 hour',
  groupBy: ['sensor'],
  columns: {
    avg_temp: 'avg(temperature)',
    samples: 'count(*)',
    first_temp: 'first(temperature)',
    last_temp: 'last(temperature)',
  },
};

function refused(run: () => unknown): UsageError {
  try {
    run();
  } catch (error) {
    expect(error).to.be.instanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error('expected a UsageError');
}

describe('operations: continuous aggregates', () => {
  describe('createContinuousAggregate', () => {
    const out = sql(createContinuousAggregate('reading_hourly', HOURLY));

    it('creates a continuous aggregate with no data, materialized_only stated', () => {
      expect(out).to.include(
        `EXECUTE pg_catalog.format('CREATE MATERIALIZED VIEW "reading_hourly" WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS SELECT %1$I.time_bucket(INTERVAL ''1 hour'', "recorded_at") AS "bucket", "sensor", avg("temperature") AS "avg_temp", count(*) AS "samples", %1$I.first("temperature", "recorded_at") AS "first_temp", %1$I.last("temperature", "recorded_at") AS "last_temp" FROM "reading" GROUP BY 1, 2 WITH NO DATA', ts_schema, time_type);`,
      );
      expect(sql(createContinuousAggregate('v', { ...HOURLY, realtime: true }))).to.include(
        'timescaledb.materialized_only = false',
      );
    });

    it("stands in with time_bucket's buckets and an ordered pick for first/last", () => {
      expect(out).to.include(
        `CREATE MATERIALIZED VIEW "reading_hourly" AS SELECT date_bin(INTERVAL ''1 hour'', "recorded_at", timestamptz ''2000-01-03 00:00:00+00'') AS "bucket", "sensor", avg("temperature") AS "avg_temp", count(*) AS "samples", (array_agg("temperature" ORDER BY "recorded_at" ASC) FILTER (WHERE "recorded_at" IS NOT NULL))[1] AS "first_temp", (array_agg("temperature" ORDER BY "recorded_at" DESC) FILTER (WHERE "recorded_at" IS NOT NULL))[1] AS "last_temp" FROM "reading" GROUP BY 1, 2 WITH NO DATA`,
      );
      expect(out).to.include(
        `date_bin(INTERVAL ''1 hour'', "recorded_at", timestamp ''2000-01-03 00:00:00'')`,
      );
      expect(out).to.include(
        `(date_bin(INTERVAL ''1 hour'', ("recorded_at")::timestamp, timestamp ''2000-01-03 00:00:00''))::date`,
      );
      expect(out).to.include(
        `COMMENT ON MATERIALIZED VIEW "reading_hourly" IS ''${STAND_IN_COMMENT}''`,
      );
      const realtime = sql(createContinuousAggregate('v', { ...HOURLY, realtime: true }));
      expect(realtime).to.include(`CREATE VIEW "v" AS SELECT`);
      expect(realtime).not.to.include('CREATE MATERIALIZED VIEW "v" AS');
    });

    it('counts months from 2000-01 and divides integer time as time_bucket does', () => {
      const monthly = sql(createContinuousAggregate('m', { ...HOURLY, bucket: '1 month' }));
      expect(monthly).to.include(`date_trunc(''month'', "recorded_at", ''UTC'')`);
      const quarterly = sql(createContinuousAggregate('q', { ...HOURLY, bucket: '3 months' }));
      expect(quarterly).to.include(`timestamp ''2000-01-01 00:00:00'' + make_interval(months =>`);
      const integer = sql(createContinuousAggregate('i', { ...HOURLY, bucket: 10 }));
      expect(integer).to.include(`%1$I.time_bucket(CAST(10 AS %2$s), "recorded_at")`);
      expect(integer).to.include(
        `(("recorded_at") - ((("recorded_at") %% CAST(10 AS %2$s)) + CAST(10 AS %2$s)) %% CAST(10 AS %2$s)) AS "bucket"`,
      );
      expect(integer).to.include(`time_type <> ALL (ARRAY['smallint', 'integer', 'bigint'])`);
    });

    it('decides by server, licence and source when applied; require refuses, off stands in', () => {
      expect(out).to.include("ELSIF ts_license IS DISTINCT FROM 'timescale' THEN");
      expect(out).to.include('neither a hypertable nor a continuous aggregate');
      expect(out).to.include(
        "RAISE NOTICE '%', 'prism: continuous aggregate reading_hourly is a materialized view (`prism-migrate jobs run` refreshes it) instead: ' || reason;",
      );
      const required = sql(createContinuousAggregate('v', { ...HOURLY, timescale: 'require' }));
      expect(required).to.include(
        "RAISE EXCEPTION USING MESSAGE = 'prism: continuous aggregate v needs TimescaleDB: ' || reason,",
      );
      expect(required).not.to.include('CREATE MATERIALIZED VIEW "v" AS');
      const off = sql(createContinuousAggregate('v', { ...HOURLY, timescale: 'off' }));
      expect(off).not.to.include('timescaledb.continuous');
      expect(off).to.include('CREATE MATERIALIZED VIEW "v" AS SELECT date_bin(');
    });

    it('asks the runner to refresh it after commit, in a line no name can break', () => {
      expect(out.split('\n')[0]).to.equal(refreshMarker('reading_hourly', 'created'));
      const odd = { schema: 'app', name: 'a\nDROP TABLE x; --' };
      const text = sql(createContinuousAggregate(odd, HOURLY));
      expect(text.split('\n')[0]).to.equal(
        '-- prism-migrate: refresh after commit {"schema":"app","name":"a\\nDROP TABLE x; --","reason":"created"}',
      );
      expect(findRefreshMarkers(`${text}\nSELECT 1;\n${out}`)).to.deep.equal([
        { view: odd, reason: 'created' },
        { view: { name: 'reading_hourly' }, reason: 'created' },
      ]);
      expect(findRefreshMarkers('-- prism-migrate: refresh after commit {"name":1}')).to.deep.equal(
        [],
      );
    });

    it('refuses columns outside the grammar, bad names and missing options', () => {
      const bad = (columns: Record<string, string>) =>
        refused(() => createContinuousAggregate('v', { ...HOURLY, columns }));
      expect(bad({ m: 'median(x)' }).message).to.include('is not a function an aggregate may use');
      expect(bad({ m: 'avg(x); DROP TABLE reading' }).message).to.include('is not a call');
      expect(bad({ m: 'sum(*)' }).message).to.include('only count takes *');
      expect(bad({ bucket: 'max(x)' }).message).to.include('also the bucket column');
      expect(bad({ sensor: 'max(x)' }).message).to.include('a groupBy column');
      expect(bad({}).message).to.include('at least one column');
      expect(
        refused(() => createContinuousAggregate('v', { ...HOURLY, bucket: '1 fortnight' })).message,
      ).to.include('unknown unit');
      expect(
        refused(() => createContinuousAggregate('v', { ...HOURLY, groupBy: ['a\u0000'] })).message,
      ).to.include('NUL');
      expect(
        refused(() => createContinuousAggregate('v', undefined as unknown as typeof HOURLY))
          .message,
      ).to.include('needs { source, timeColumn, bucket, groupBy, columns }');
    });

    it('reverses by dropping whichever form exists; dropContinuousAggregate reverses by creating', () => {
      const drop = sql(createContinuousAggregate.reverse('reading_hourly', HOURLY));
      expect(drop).to.include("  IF is_continuous OR agg_kind = 'm' THEN");
      expect(drop).to.include(`EXECUTE 'DROP MATERIALIZED VIEW "reading_hourly"';`);
      expect(drop).to.include(`EXECUTE 'DROP VIEW "reading_hourly"';`);
      expect(sql(dropContinuousAggregate('reading_hourly'))).to.equal(drop);
      expect(sql(dropContinuousAggregate.reverse('reading_hourly', HOURLY))).to.equal(out);
      expect(() => dropContinuousAggregate.reverse('reading_hourly')).to.throw(
        /without its definition/,
      );
    });
  });

  describe('setAggregateRealtime', () => {
    it('sets materialized_only on a continuous aggregate and swaps the stand-in', () => {
      const on = sql(setAggregateRealtime('v', { realtime: true, previous: false }));
      expect(on).to.include(
        `EXECUTE 'ALTER MATERIALIZED VIEW "v" SET (timescaledb.materialized_only = false)';`,
      );
      expect(on).to.include(`EXECUTE 'DROP MATERIALIZED VIEW "v"';`);
      expect(on).to.include(`EXECUTE 'CREATE VIEW "v" AS ' || definition;`);
      expect(on.startsWith('DO ')).to.equal(true);
      const off = sql(setAggregateRealtime.reverse('v', { realtime: true, previous: false }));
      expect(off).to.include('timescaledb.materialized_only = true');
      // Empty unless a materialized view built on it is made again, which needs its rows.
      expect(off).to.include(
        `EXECUTE 'CREATE MATERIALIZED VIEW "v" AS ' || definition || CASE WHEN 'm' = ANY (coalesce(dep_kinds, '{}')) THEN '' ELSE ' WITH NO DATA' END;`,
      );
      expect(off.split('\n')[0]).to.equal(refreshMarker('v', 'materialized'));
      expect(
        refused(() => setAggregateRealtime('v', { realtime: true } as never)).message,
      ).to.include('needs { realtime, previous }');
    });
  });

  describe('refresh policy', () => {
    const policy = { startOffset: '30 days', endOffset: '1 hour', scheduleInterval: '30 minutes' };

    it('adds it, keeps an equal one, refuses a different one', () => {
      const out = sql(addContinuousAggregatePolicy('reading_hourly', policy));
      expect(out).to.include(
        `EXECUTE pg_catalog.format('SELECT %1$I.add_continuous_aggregate_policy(''"reading_hourly"''::pg_catalog.regclass, start_offset => INTERVAL ''30 days'', end_offset => INTERVAL ''1 hour'', schedule_interval => INTERVAL ''30 minutes'')', ts_schema);`,
      );
      expect(out).to.include(
        "IF (job_config ->> 'start_offset')::pg_catalog.interval IS NOT DISTINCT FROM INTERVAL '30 days' AND (job_config ->> 'end_offset')::pg_catalog.interval IS NOT DISTINCT FROM INTERVAL '1 hour' AND job_schedule = INTERVAL '30 minutes' THEN",
      );
      expect(out).to.include(
        "HINT = 'remove it first (removeContinuousAggregatePolicy) and add the new one';",
      );
      expect(out).to.include('a.materialization_hypertable_name = j.hypertable_name');
      const unbounded = sql(
        addContinuousAggregatePolicy('v', { ...policy, startOffset: null, endOffset: 2 }),
      );
      expect(unbounded).to.include('start_offset => NULL, end_offset => 2,');
      expect(unbounded).to.include("(job_config ->> 'start_offset') IS NULL");
      expect(unbounded).to.include("(job_config ->> 'end_offset')::bigint IS NOT DISTINCT FROM 2");
    });

    it('is skipped on a stand-in under auto and refused under require', () => {
      expect(sql(addContinuousAggregatePolicy('v', policy))).to.include(
        "RAISE NOTICE '%', 'prism: add a refresh policy skipped: v is a view standing in for a continuous aggregate",
      );
      expect(
        sql(addContinuousAggregatePolicy('v', { ...policy, timescale: 'require' })),
      ).to.include(
        "RAISE EXCEPTION USING MESSAGE = 'prism: cannot add a refresh policy: v is not a continuous aggregate'",
      );
    });

    it('reverses both ways; removing needs the policy to reverse', () => {
      expect(sql(addContinuousAggregatePolicy.reverse('v', policy))).to.include(
        `remove_continuous_aggregate_policy(''"v"''::pg_catalog.regclass, if_exists => true)`,
      );
      expect(sql(removeContinuousAggregatePolicy('v'))).to.include('if_exists => false');
      expect(sql(removeContinuousAggregatePolicy.reverse('v', policy))).to.equal(
        sql(addContinuousAggregatePolicy('v', policy)),
      );
      expect(() => removeContinuousAggregatePolicy.reverse('v')).to.throw(/without the policy/);
      expect(
        refused(() =>
          addContinuousAggregatePolicy('v', { ...policy, scheduleInterval: 5 as never }),
        ).message,
      ).to.include('scheduleInterval');
    });
  });

  describe('compression and retention', () => {
    it('uses the columnstore names on 2.18+ and the compression names before', () => {
      const out = sql(enableAggregateCompression('v', { segmentBy: ['sensor'] }));
      expect(out).to.include(
        `EXECUTE 'ALTER MATERIALIZED VIEW "v" SET (timescaledb.enable_columnstore, timescaledb.segmentby = ''"sensor"'')';`,
      );
      expect(out).to.include(
        `EXECUTE 'ALTER MATERIALIZED VIEW "v" SET (timescaledb.compress, timescaledb.compress_segmentby = ''"sensor"'')';`,
      );
      const off = sql(enableAggregateCompression.reverse('v', { segmentBy: ['sensor'] }));
      expect(off).to.include('convert_to_rowstore');
      expect(off).to.include(
        `EXECUTE 'ALTER MATERIALIZED VIEW "v" SET (timescaledb.enable_columnstore = false)';`,
      );
      expect(off).to.include('while it has a compression policy');
      expect(sql(disableAggregateCompression.reverse('v', { segmentBy: ['sensor'] }))).to.equal(
        out,
      );
    });

    it("adds the policies on the aggregate's jobs, with their reverses", () => {
      const compress = sql(addAggregateCompressionPolicy('v', { after: '60 days' }));
      expect(compress).to.include(
        `CALL %1$I.add_columnstore_policy(''"v"''::pg_catalog.regclass, after => INTERVAL ''60 days'')`,
      );
      expect(compress).to.include(
        `SELECT %1$I.add_compression_policy(''"v"''::pg_catalog.regclass, compress_after => INTERVAL ''60 days'')`,
      );
      expect(compress).to.include('a.materialization_hypertable_name = j.hypertable_name');
      expect(compress).to.include('(pgm.removeAggregateCompressionPolicy)');
      const retention = sql(addAggregateRetentionPolicy('v', { dropAfter: '2 years' }));
      expect(retention).to.include(
        `SELECT %1$I.add_retention_policy(''"v"''::pg_catalog.regclass, drop_after => INTERVAL ''2 years'')`,
      );
      expect(retention).not.to.include('show_chunks');
      expect(sql(addAggregateRetentionPolicy.reverse('v', { dropAfter: '2 years' }))).to.include(
        'remove_retention_policy',
      );
      expect(sql(removeAggregateRetentionPolicy.reverse('v', { dropAfter: '2 years' }))).to.equal(
        retention,
      );
      expect(() =>
        removeAggregateRetentionPolicy.reverse('v', {} as { dropAfter: string }),
      ).to.throw(/without the previous drop_after/);
    });
  });
});

describe('runner: aggregates to refresh', () => {
  it('takes the committed migrations in order, each view where it was created last', () => {
    const sqlOf = new Map([
      ['1_a', `${refreshMarker('low', 'created')}\nDO $$ $$;\n${refreshMarker('high', 'created')}`],
      ['2_b', 'SELECT 1'],
      ['3_c', `${refreshMarker('low', 'created')}\n${refreshMarker('high', 'created')}`],
      ['4_failed', refreshMarker('other', 'created')],
    ]);
    expect(
      aggregatesToRefresh(['1_a', '2_b', '3_c'], sqlOf).map((m) => `${m.migration} ${m.view.name}`),
    ).to.deep.equal(['3_c low', '3_c high']);
    expect(aggregatesToRefresh(['1_a'], sqlOf).map((m) => m.view.name)).to.deep.equal([
      'low',
      'high',
    ]);
    expect(aggregatesToRefresh([], sqlOf)).to.deep.equal([]);
  });
});
