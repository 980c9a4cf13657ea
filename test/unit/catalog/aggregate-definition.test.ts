/**
 * The view-definition parser, on texts `pg_get_viewdef` printed on TimescaleDB 2.28.3,
 * 2.12.2 and PostgreSQL 15 for the shapes the operations create, and on shapes prism.yaml
 * cannot state.
 */
import { expect } from 'chai';
import { parseAggregateDefinition } from '../../../lib/catalog/aggregate-definition.js';

/** TimescaleDB 2.28.3 and 2.12.2 print a continuous aggregate's direct view alike. */
const CAGG_HOURLY = ` SELECT time_bucket('01:00:00'::interval, r.t) AS bucket,
    r.s,
    avg(r.v) AS a,
    max(r.v) AS mx,
    first(r.v, r.t) AS f,
    last(r.v, r.t) AS l,
    stddev(r.v) AS sd,
    count(*) AS n,
    count(r.v) AS nv,
    sum(r.v) AS sm
   FROM r
  GROUP BY (time_bucket('01:00:00'::interval, r.t)), r.s;`;

const CAGG_DAILY = ` SELECT time_bucket('1 day'::interval, rh.bucket) AS bucket,
    rh.s,
    sum(rh.n) AS n,
    max(rh.mx) AS mx,
    last(rh.l, rh.bucket) AS l
   FROM rh
  GROUP BY (time_bucket('1 day'::interval, rh.bucket)), rh.s;`;

/** PostgreSQL 15: the degraded forms. */
const MATVIEW_HOURLY = ` SELECT date_bin('01:00:00'::interval, r.t, '2000-01-03 00:00:00+00'::timestamp with time zone) AS bucket,
    r.s,
    avg(r.v) AS a,
    max(r.v) AS mx,
    (array_agg(r.v ORDER BY r.t))[1] AS f,
    (array_agg(r.v ORDER BY r.t DESC))[1] AS l,
    stddev(r.v) AS sd,
    count(*) AS n,
    count(r.v) AS nv,
    sum(r.v) AS sm
   FROM r
  GROUP BY (date_bin('01:00:00'::interval, r.t, '2000-01-03 00:00:00+00'::timestamp with time zone)), r.s;`;

const VIEW_DAILY = ` SELECT date_bin('1 day'::interval, rh.bucket, '2000-01-03 00:00:00+00'::timestamp with time zone) AS bucket,
    rh.s,
    sum(rh.n) AS n,
    max(rh.mx) AS mx,
    (array_agg(rh.l ORDER BY rh.bucket DESC))[1] AS l
   FROM rh
  GROUP BY (date_bin('1 day'::interval, rh.bucket, '2000-01-03 00:00:00+00'::timestamp with time zone)), rh.s;`;

const VIEW_QUARTER = ` SELECT (('2000-01-01 00:00:00'::timestamp without time zone + make_interval(months => ((floor((((((((EXTRACT(year FROM (r.t AT TIME ZONE 'UTC'::text)))::integer - 2000) * 12) + (EXTRACT(month FROM (r.t AT TIME ZONE 'UTC'::text)))::integer) - 1))::numeric / (3)::numeric)) * (3)::numeric))::integer)) AT TIME ZONE 'UTC'::text) AS bucket,
    r.s,
    count(*) AS n
   FROM r
  GROUP BY ((('2000-01-01 00:00:00'::timestamp without time zone + make_interval(months => ((floor((((((((EXTRACT(year FROM (r.t AT TIME ZONE 'UTC'::text)))::integer - 2000) * 12) + (EXTRACT(month FROM (r.t AT TIME ZONE 'UTC'::text)))::integer) - 1))::numeric / (3)::numeric)) * (3)::numeric))::integer)) AT TIME ZONE 'UTC'::text)), r.s;`;

const VIEW_MONTH = ` SELECT date_trunc('month'::text, r.t, 'UTC'::text) AS bucket,
    count(*) AS n
   FROM r
  GROUP BY (date_trunc('month'::text, r.t, 'UTC'::text));`;

const VIEW_INTEGER = ` SELECT ((floor(((ri.t)::numeric / (10)::numeric)) * (10)::numeric))::bigint AS bucket,
    ri.s,
    count(*) AS n
   FROM ri
  GROUP BY (((floor(((ri.t)::numeric / (10)::numeric)) * (10)::numeric))::bigint), ri.s;`;

const VIEW_NAIVE = ` SELECT date_bin('01:00:00'::interval, rn.t, '2000-01-03 00:00:00'::timestamp without time zone) AS bucket,
    count(*) AS n
   FROM rn
  GROUP BY (date_bin('01:00:00'::interval, rn.t, '2000-01-03 00:00:00'::timestamp without time zone));`;

/** The operations' stand-ins as PostgreSQL 15 prints them: first/last picks skip rows without a time. */
const STAND_IN_PICKS = ` SELECT date_bin('01:00:00'::interval, r.t, '2000-01-03 00:00:00+00'::timestamp with time zone) AS bucket,
    r.s,
    (array_agg(r.v ORDER BY r.t) FILTER (WHERE (r.t IS NOT NULL)))[1] AS f,
    (array_agg(r.v ORDER BY r.t DESC) FILTER (WHERE (r.t IS NOT NULL)))[1] AS l
   FROM r
  GROUP BY (date_bin('01:00:00'::interval, r.t, '2000-01-03 00:00:00+00'::timestamp with time zone)), r.s;`;

const STAND_IN_INTEGER = ` SELECT (ri.t - (((ri.t % (10)::bigint) + (10)::bigint) % (10)::bigint)) AS bucket,
    count(*) AS n
   FROM ri
  GROUP BY (ri.t - (((ri.t % (10)::bigint) + (10)::bigint) % (10)::bigint));`;

const STAND_IN_MONTHS = ` SELECT (('2000-01-01 00:00:00'::timestamp without time zone + make_interval(months => ((floor((((((((EXTRACT(year FROM (r.t AT TIME ZONE 'UTC'::text)))::integer - 2000) * 12) + (EXTRACT(month FROM (r.t AT TIME ZONE 'UTC'::text)))::integer) - 1))::numeric / ((((EXTRACT(year FROM '3 mons'::interval))::integer * 12) + (EXTRACT(month FROM '3 mons'::interval))::integer))::numeric)) * ((((EXTRACT(year FROM '3 mons'::interval))::integer * 12) + (EXTRACT(month FROM '3 mons'::interval))::integer))::numeric))::integer)) AT TIME ZONE 'UTC'::text) AS bucket,
    count(*) AS n
   FROM r
  GROUP BY ((('2000-01-01 00:00:00'::timestamp without time zone + make_interval(months => ((floor((((((((EXTRACT(year FROM (r.t AT TIME ZONE 'UTC'::text)))::integer - 2000) * 12) + (EXTRACT(month FROM (r.t AT TIME ZONE 'UTC'::text)))::integer) - 1))::numeric / ((((EXTRACT(year FROM '3 mons'::interval))::integer * 12) + (EXTRACT(month FROM '3 mons'::interval))::integer))::numeric)) * ((((EXTRACT(year FROM '3 mons'::interval))::integer * 12) + (EXTRACT(month FROM '3 mons'::interval))::integer))::numeric))::integer)) AT TIME ZONE 'UTC'::text));`;

const STAND_IN_DATE = ` SELECT (date_bin('1 day'::interval, (rdt.d)::timestamp without time zone, '2000-01-03 00:00:00'::timestamp without time zone))::date AS bucket,
    sum(rdt.v) AS s
   FROM rdt
  GROUP BY ((date_bin('1 day'::interval, (rdt.d)::timestamp without time zone, '2000-01-03 00:00:00'::timestamp without time zone))::date);`;

function parsed(sql: string) {
  const result = parseAggregateDefinition(sql);
  if (!result.ok) throw new Error(`refused: ${result.reason}`);
  return result.definition;
}

function refused(sql: string): string {
  const result = parseAggregateDefinition(sql);
  if (result.ok)
    throw new Error(
      `read as an aggregate: ${JSON.stringify(result.definition, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`,
    );
  return result.reason;
}

const HOURLY_COLUMNS = [
  { name: 'a', function: 'avg', argument: 'v' },
  { name: 'mx', function: 'max', argument: 'v' },
  { name: 'f', function: 'first', argument: 'v' },
  { name: 'l', function: 'last', argument: 'v' },
  { name: 'sd', function: 'stddev', argument: 'v' },
  { name: 'n', function: 'count' },
  { name: 'nv', function: 'count', argument: 'v' },
  { name: 'sm', function: 'sum', argument: 'v' },
];

describe('parseAggregateDefinition', () => {
  it('reads a continuous aggregate as TimescaleDB prints it', () => {
    expect(parsed(CAGG_HOURLY)).to.deep.equal({
      source: { name: 'r' },
      timeColumn: 't',
      bucket: { kind: 'interval', text: '01:00:00' },
      bucketFunction: 'time_bucket',
      groupBy: ['s'],
      columns: HOURLY_COLUMNS,
    });
  });

  it('reads a hierarchical one by the bucket of its parent', () => {
    expect(parsed(CAGG_DAILY)).to.deep.equal({
      source: { name: 'rh' },
      timeColumn: 'bucket',
      bucket: { kind: 'interval', text: '1 day' },
      bucketFunction: 'time_bucket',
      groupBy: ['s'],
      columns: [
        { name: 'n', function: 'sum', argument: 'n' },
        { name: 'mx', function: 'max', argument: 'mx' },
        { name: 'l', function: 'last', argument: 'l' },
      ],
    });
  });

  it('reads the degraded forms: date_bin from 2000-01-03 and array_agg picks for first/last', () => {
    expect(parsed(MATVIEW_HOURLY)).to.deep.equal({
      source: { name: 'r' },
      timeColumn: 't',
      bucket: { kind: 'interval', text: '01:00:00' },
      bucketFunction: 'fallback',
      groupBy: ['s'],
      columns: HOURLY_COLUMNS,
    });
    expect(parsed(VIEW_DAILY).columns).to.deep.equal([
      { name: 'n', function: 'sum', argument: 'n' },
      { name: 'mx', function: 'max', argument: 'mx' },
      { name: 'l', function: 'last', argument: 'l' },
    ]);
    expect(parsed(VIEW_NAIVE).bucket).to.deep.equal({ kind: 'interval', text: '01:00:00' });
  });

  it('reads month widths and integer time', () => {
    expect(parsed(VIEW_QUARTER)).to.include({ timeColumn: 't', bucketFunction: 'fallback' });
    expect(parsed(VIEW_QUARTER).bucket).to.deep.equal({ kind: 'months', months: 3 });
    expect(parsed(VIEW_MONTH).bucket).to.deep.equal({ kind: 'months', months: 1 });
    expect(parsed(VIEW_MONTH).groupBy).to.deep.equal([]);
    expect(parsed(VIEW_INTEGER).bucket).to.deep.equal({ kind: 'integer', value: 10n });
    expect(
      parsed(
        `SELECT time_bucket(10, ri.t) AS bucket, count(*) AS n FROM ri GROUP BY (time_bucket(10, ri.t));`,
      ).bucket,
    ).to.deep.equal({ kind: 'integer', value: 10n });
  });

  it("reads the operations' stand-ins: filtered picks, integer floor, month widths, date time", () => {
    expect(parsed(STAND_IN_PICKS).columns).to.deep.equal([
      { name: 'f', function: 'first', argument: 'v' },
      { name: 'l', function: 'last', argument: 'v' },
    ]);
    expect(parsed(STAND_IN_INTEGER)).to.deep.include({
      timeColumn: 't',
      bucket: { kind: 'integer', value: 10n },
      bucketFunction: 'fallback',
    });
    expect(parsed(STAND_IN_MONTHS).bucket).to.deep.equal({ kind: 'months', months: 3 });
    expect(parsed(STAND_IN_DATE)).to.deep.include({
      timeColumn: 'd',
      bucket: { kind: 'interval', text: '1 day' },
    });
    expect(
      refused(
        STAND_IN_PICKS.replace(
          'FILTER (WHERE (r.t IS NOT NULL))',
          'FILTER (WHERE (r.v IS NOT NULL))',
        ),
      ),
    ).to.match(/first\/last pick/);
    expect(refused(STAND_IN_INTEGER.replace('% (10)::bigint))', '% (7)::bigint))'))).to.match(
      /bucket is not/,
    );
  });

  it('reads a schema-qualified source, quoted names and positional GROUP BY', () => {
    const d = parsed(
      `SELECT time_bucket('1 day'::interval, "R"."Time") AS bucket, "R"."Site", sum("R"."v") AS "Total" FROM other."R" GROUP BY 1, 2`,
    );
    expect(d).to.deep.equal({
      source: { schema: 'other', name: 'R' },
      timeColumn: 'Time',
      bucket: { kind: 'interval', text: '1 day' },
      bucketFunction: 'time_bucket',
      groupBy: ['Site'],
      columns: [{ name: 'Total', function: 'sum', argument: 'v' }],
    });
  });

  it('reads columns named with unreserved keywords, which PostgreSQL prints unquoted', () => {
    // `at`, `by`, `nulls`, `filter`, `over` and `within` are keywords, but not reserved
    // ones, so PostgreSQL prints them without quotes: qualified as PostgreSQL 15 and
    // TimescaleDB 2.28.3 print a view, unqualified as PostgreSQL 17 (the embedded one) does.
    const expected = {
      source: { name: 'k' },
      timeColumn: 'at',
      bucket: { kind: 'interval', text: '1 day' },
      bucketFunction: 'time_bucket',
      groupBy: ['nulls'],
      columns: [
        { name: 'over', function: 'sum', argument: 'filter' },
        { name: 'at', function: 'max', argument: 'over' },
        { name: 'within', function: 'last', argument: 'within' },
        { name: 'n', function: 'count', argument: 'window' },
        { name: 'b', function: 'min', argument: 'by' },
      ],
    };
    expect(
      parsed(` SELECT time_bucket('1 day'::interval, k.at) AS bucket,
    k.nulls,
    sum(k.filter) AS over,
    max(k.over) AS at,
    last(k.within, k.at) AS within,
    count(k."window") AS n,
    min(k.by) AS b
   FROM k
  GROUP BY (time_bucket('1 day'::interval, k.at)), k.nulls;`),
    ).to.deep.equal(expected);
    expect(
      parsed(` SELECT time_bucket('1 day'::interval, at) AS bucket,
    nulls,
    sum(filter) AS over,
    max(over) AS at,
    last(within, at) AS within,
    count("window") AS n,
    min(by) AS b
   FROM k
  GROUP BY (time_bucket('1 day'::interval, at)), nulls;`),
    ).to.deep.equal(expected);
  });

  it('refuses what prism.yaml cannot state, saying why', () => {
    const base = (select: string, rest = 'FROM r GROUP BY 1, 2') =>
      `SELECT time_bucket('01:00:00'::interval, r.t) AS bucket, r.s, ${select} ${rest}`;
    expect(refused(base('avg(r.v) AS a', 'FROM r WHERE r.v > 0 GROUP BY 1, 2'))).to.match(/WHERE/);
    expect(refused(base('percentile_cont(0.5) WITHIN GROUP (ORDER BY r.v) AS p'))).to.match(
      /within|WITHIN|percentile/i,
    );
    expect(refused(base('avg(r.v * 2) AS a'))).to.equal('avg of an expression');
    expect(refused(base('sum(r.v) FILTER (WHERE r.v IS NOT NULL) AS a'))).to.match(/FILTER/i);
    expect(refused(base('count(DISTINCT r.v) AS a'))).to.match(/DISTINCT/);
    expect(refused(base('first(r.v, r.v) AS f'))).to.match(/not ordered by the time column t/);
    expect(refused(base('(array_agg(r.v ORDER BY r.v))[1] AS f'))).to.match(/first\/last pick/);
    expect(refused(base('(array_agg(r.v ORDER BY r.t))[2] AS f'))).to.match(/not an aggregate/);
    expect(refused(base('avg(r.v) AS a', 'FROM r JOIN q ON q.id = r.s GROUP BY 1, 2'))).to.match(
      /JOIN/,
    );
    expect(refused(base('avg(r.v) AS a', 'FROM r GROUP BY 1, 2 HAVING count(*) > 1'))).to.match(
      /after GROUP BY/,
    );
    expect(refused(base('avg(r.v) AS a', 'FROM r GROUP BY 1'))).to.match(/group column/);
    expect(refused(base('avg(r.v) AS a', 'FROM r GROUP BY 1, 2, r.v'))).to.match(
      /other than the bucket/,
    );
    expect(refused(`SELECT r.s, avg(r.v) AS a FROM r GROUP BY r.s`)).to.match(/bucket/);
    expect(refused(`SELECT r.t AS bucket, avg(r.v) AS a FROM r GROUP BY r.t`)).to.match(
      /bucket is not/,
    );
    expect(
      refused(
        `SELECT date_bin('1 hour'::interval, r.t, '2001-01-01 00:00:00+00'::timestamp with time zone) AS bucket, count(*) AS n FROM r GROUP BY 1`,
      ),
    ).to.match(/bucket is not/);
    expect(
      refused(
        `SELECT time_bucket('1 hour'::interval, r.t, 'Europe/Berlin'::text) AS bucket, count(*) AS n FROM r GROUP BY 1`,
      ),
    ).to.match(/bucket is not/);
    expect(
      refused(
        `SELECT time_bucket('1 hour'::interval, r.t) AS bucket, r.s AS site, count(*) AS n FROM r GROUP BY 1, 2`,
      ),
    ).to.match(/renamed/);
    expect(
      refused(`SELECT time_bucket('1 hour'::interval, r.t) AS bucket, r.s FROM r GROUP BY 1, 2`),
    ).to.equal('no aggregate column');
    expect(refused(`SELECT r.t, r.v FROM r`)).to.match(/no GROUP BY/);
    expect(refused(`SELECT 1; DROP TABLE r`)).to.match(/shape/);
    expect(
      refused(
        `SELECT time_bucket('1 hour'::interval, r.t) AS bucket, count(*) AS n FROM r GROUP BY 1 UNION ALL SELECT 1`,
      ),
    ).to.match(/after GROUP BY/);
  });
});
