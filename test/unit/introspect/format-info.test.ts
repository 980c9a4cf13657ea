/** The readable `timescale-info` text, from fixture objects of the `--json` shape. */
import { expect } from 'chai';
import {
  formatBytes,
  formatBytesAs,
  formatTimescaleInfo,
  formatTimestamp,
} from '../../../lib/introspect/format-info.js';
import { EMBEDDED_JOBS_NOTE, type TimescaleInfo } from '../../../lib/introspect/info.js';

const noStats = {
  lastRunStartedAt: null,
  lastRunStatus: null,
  lastSuccessfulFinish: null,
  nextStart: null,
  totalRuns: null,
  totalFailures: null,
} as const;

/** What the embedded database reports: no job history, a model on a plain table. */
export const embeddedFixture: TimescaleInfo = {
  version: 1,
  server: { version: '17.5' },
  timescale: {
    installed: true,
    version: '2.23.0-dev',
    license: 'timescale',
    availability: 'installed',
    availableVersion: '2.17.2',
    compression: true,
    policies: true,
    note: EMBEDDED_JOBS_NOTE,
  },
  embedded: true,
  jobsRunAutomatically: false,
  hypertables: [
    {
      schema: 'public',
      table: 'datapoint',
      model: 'DataPoint',
      timeColumn: 'timestamp',
      timeType: 'timestamp with time zone',
      chunkInterval: '1 day',
      integerChunkInterval: null,
      partitioning: null,
      reorderIndex: null,
      chunks: 40,
      range: { from: '2025-01-01T00:00:00.000Z', to: '2025-02-10T00:00:00.000Z' },
      totalBytes: 2_202_010,
      compression: {
        enabled: true,
        segmentBy: ['source'],
        orderBy: ['timestamp DESC'],
        chunkInterval: '7 days',
        sparseIndexes: [{ column: 'value', type: 'minmax' }],
        compressedChunks: 12,
        beforeBytes: 5_452_595,
        afterBytes: 629_146,
        ratio: 8.67,
      },
      jobs: [
        {
          id: 1000,
          kind: 'compression',
          procName: 'policy_compression',
          config: { compress_after: '1 mon' },
          interval: '1 mon',
          schedule: '12:00:00',
          scheduled: true,
          ...noStats,
        },
        {
          id: 1001,
          kind: 'retention',
          procName: 'policy_retention',
          config: { drop_after: '1 year' },
          interval: '1 year',
          schedule: '1 day',
          scheduled: true,
          ...noStats,
        },
      ],
    },
    {
      schema: 'public',
      table: 'counters',
      model: null,
      timeColumn: 'tick',
      timeType: 'bigint',
      chunkInterval: null,
      integerChunkInterval: '1000',
      partitioning: null,
      reorderIndex: null,
      chunks: 5,
      range: { from: '0', to: '5000' },
      totalBytes: 663_552,
      compression: {
        enabled: false,
        segmentBy: [],
        orderBy: [],
        chunkInterval: null,
        sparseIndexes: [],
        compressedChunks: 0,
        beforeBytes: null,
        afterBytes: null,
        ratio: null,
      },
      jobs: [],
    },
  ],
  plainTables: [{ model: 'Reading', table: 'reading', wouldBeHypertable: true, timeColumn: 'at' }],
  aggregates: [],
};

/** A TimescaleDB server whose scheduler ran the jobs. */
export const serverFixture: TimescaleInfo = {
  version: 1,
  server: { version: '16.4' },
  timescale: {
    installed: true,
    version: '2.17.2',
    license: 'timescale',
    availability: 'installed',
    availableVersion: '2.17.2',
    compression: true,
    policies: true,
    note: null,
  },
  embedded: false,
  jobsRunAutomatically: true,
  hypertables: [
    {
      schema: 'metrics',
      table: 'cpu',
      model: 'Cpu',
      timeColumn: 'time',
      timeType: 'timestamp with time zone',
      chunkInterval: '7 days',
      integerChunkInterval: null,
      partitioning: null,
      reorderIndex: null,
      chunks: 0,
      range: null,
      totalBytes: 8192,
      compression: {
        enabled: true,
        segmentBy: ['host', 'cpu'],
        orderBy: ['time DESC', 'usage NULLS FIRST'],
        chunkInterval: null,
        sparseIndexes: [],
        compressedChunks: 0,
        beforeBytes: null,
        afterBytes: null,
        ratio: null,
      },
      jobs: [
        {
          id: 1004,
          kind: 'compression',
          procName: 'policy_compression',
          config: { compress_after: '7 days' },
          interval: '7 days',
          schedule: '12:00:00',
          scheduled: true,
          lastRunStartedAt: '2025-06-01T12:00:00.123Z',
          lastRunStatus: 'Success',
          lastSuccessfulFinish: '2025-06-01T12:00:01.500Z',
          nextStart: '2025-06-02T00:00:00.000Z',
          totalRuns: 31,
          totalFailures: 0,
        },
        {
          id: 1005,
          kind: 'retention',
          procName: 'policy_retention',
          config: { drop_after: '90 days' },
          interval: '90 days',
          schedule: '1 day',
          scheduled: false,
          lastRunStartedAt: '2025-05-30T00:00:00.000Z',
          lastRunStatus: 'Failed',
          lastSuccessfulFinish: null,
          nextStart: null,
          totalRuns: 3,
          totalFailures: 3,
        },
        {
          id: 1006,
          kind: 'other',
          procName: 'refresh_rollups',
          config: {},
          interval: null,
          schedule: '01:00:00',
          scheduled: true,
          ...noStats,
        },
      ],
    },
  ],
  plainTables: [],
  aggregates: [],
};

/** Plain PostgreSQL: no TimescaleDB, the spec's timeseries models are plain tables. */
export const notInstalledFixture: TimescaleInfo = {
  version: 1,
  server: { version: '15.13' },
  timescale: {
    installed: false,
    version: null,
    license: null,
    availability: 'unavailable',
    availableVersion: null,
    compression: false,
    policies: false,
    note: 'TimescaleDB: not on this server (PostgreSQL 15.13); timeseries models are plain tables. Compression and retention policies are skipped under `timescale: auto` (`timescale: require` refuses to migrate).',
  },
  embedded: false,
  jobsRunAutomatically: false,
  hypertables: [],
  plainTables: [
    { model: 'DataPoint', table: 'datapoint', wouldBeHypertable: true, timeColumn: 'timestamp' },
    { model: 'Heartbeat', table: 'heartbeats', wouldBeHypertable: true, timeColumn: 'seen_at' },
  ],
  aggregates: [],
};

describe('formatTimescaleInfo', () => {
  it('shows the embedded database: header, note, one block per hypertable, plain tables', () => {
    expect(formatTimescaleInfo(embeddedFixture)).to.equal(
      [
        'server: PostgreSQL 17.5 (embedded)',
        'TimescaleDB 2.23.0-dev (license: timescale; compression available, policies available)',
        'policy jobs: do not run automatically',
        `note: ${EMBEDDED_JOBS_NOTE}`,
        '',
        'hypertable public.datapoint (model DataPoint)',
        '  time column:  timestamp (timestamp with time zone), chunks of 1 day',
        '  chunks:       40, 2025-01-01 00:00:00Z .. 2025-02-10 00:00:00Z',
        '  size:         2.1 MiB',
        '  compression:  on, segment by source, order by timestamp DESC, rolled into 7 days chunks, sparse minmax(value)',
        '                12 of 40 chunks compressed, 5.2 MiB -> 0.6 MiB (8.7x)',
        '  jobs:',
        '    ID    KIND         INTERVAL  SCHEDULE  LAST RUN  STATUS  NEXT START  RUNS  FAILURES',
        '    1000  compression  1 mon     12:00:00  -         -       -           -     -',
        '    1001  retention    1 year    1 day     -         -       -           -     -',
        '',
        'hypertable public.counters',
        '  time column:  tick (bigint), chunks of 1000',
        '  chunks:       5, 0 .. 5000',
        '  size:         648.0 KiB',
        '  compression:  off',
        '  jobs:         none',
        '',
        'timeseries models that are plain tables, not hypertables:',
        '  reading  model Reading  time column at',
        '',
      ].join('\n'),
    );
  });

  it('shows job history, paused and custom jobs, and a hypertable without chunks', () => {
    expect(formatTimescaleInfo(serverFixture)).to.equal(
      [
        'server: PostgreSQL 16.4',
        'TimescaleDB 2.17.2 (license: timescale; compression available, policies available)',
        'policy jobs: run automatically',
        '',
        'hypertable metrics.cpu (model Cpu)',
        '  time column:  time (timestamp with time zone), chunks of 7 days',
        '  chunks:       0',
        '  size:         8.0 KiB',
        '  compression:  on, segment by host, cpu, order by time DESC, usage NULLS FIRST',
        '                0 of 0 chunks compressed',
        '  jobs:',
        '    ID    KIND                     INTERVAL  SCHEDULE        LAST RUN                  STATUS   NEXT START            RUNS  FAILURES',
        '    1004  compression              7 days    12:00:00        2025-06-01 12:00:00.123Z  Success  2025-06-02 00:00:00Z  31    0',
        '    1005  retention                90 days   1 day (paused)  2025-05-30 00:00:00Z      Failed   -                     3     3',
        '    1006  other (refresh_rollups)  -         01:00:00        -                         -        -                     -     -',
        '',
      ].join('\n'),
    );
  });

  it('says what no TimescaleDB means and lists the would-be hypertables', () => {
    expect(formatTimescaleInfo(notInstalledFixture)).to.equal(
      [
        'server: PostgreSQL 15.13',
        'TimescaleDB: not installed in this database (not on the server)',
        `note: ${notInstalledFixture.timescale.note ?? ''}`,
        '',
        'timeseries models that are plain tables here (hypertables with TimescaleDB):',
        '  datapoint   model DataPoint  time column timestamp',
        '  heartbeats  model Heartbeat  time column seen_at',
        '',
      ].join('\n'),
    );
  });

  it('says when TimescaleDB has no hypertables', () => {
    const text = formatTimescaleInfo({ ...serverFixture, hypertables: [] });
    expect(text.split('\n').slice(3)).to.deep.equal(['', 'no hypertables', '']);
  });
});

describe('formatBytes and formatTimestamp', () => {
  it('uses binary units with one decimal', () => {
    expect(
      [0, 512, 1023, 1024, 1536, 2_202_010, 5 * 1024 ** 3].map((n) => formatBytes(n)),
    ).to.deep.equal(['0 B', '512 B', '1023 B', '1.0 KiB', '1.5 KiB', '2.1 MiB', '5.0 GiB']);
  });

  it('formats a second size in the unit of the first', () => {
    expect(formatBytesAs(629_146, 5_452_595)).to.equal('0.6 MiB');
    expect(formatBytesAs(300, 900)).to.equal('300 B');
    expect(formatBytesAs(2048, 900)).to.equal('2048 B');
  });

  it('drops zero milliseconds and keeps other text as it is', () => {
    expect(formatTimestamp('2025-01-01T00:00:00.000Z')).to.equal('2025-01-01 00:00:00Z');
    expect(formatTimestamp('2025-01-01T00:00:00.120Z')).to.equal('2025-01-01 00:00:00.120Z');
    expect(formatTimestamp('not a time')).to.equal('not a time');
  });
});
