/** The readable form of `timescale-info` (the default output; `--json` prints the object). */
import type {
  TimescaleInfo,
  TimescaleInfoAggregate,
  TimescaleInfoHypertable,
  TimescaleInfoJob,
  TimescaleInfoRange,
} from './info.js';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

function unitFor(bytes: number): number {
  let unit = 0;
  while (Math.abs(bytes) >= 1024 ** (unit + 1) && unit < UNITS.length - 1) unit += 1;
  return unit;
}

function inUnit(bytes: number, unit: number): string {
  return unit === 0 ? `${bytes} B` : `${(bytes / 1024 ** unit).toFixed(1)} ${UNITS[unit]}`;
}

/** `512 B`, `2.1 MiB`: binary units, one decimal above bytes. */
export function formatBytes(bytes: number): string {
  return inUnit(bytes, unitFor(bytes));
}

/** `bytes` in the unit `reference` gets, so two sizes compare at a glance (`5.2 MiB -> 0.6 MiB`). */
export function formatBytesAs(bytes: number, reference: number): string {
  return inUnit(bytes, unitFor(reference));
}

/** `2025-01-01T00:00:00.000Z` -> `2025-01-01 00:00:00Z` (milliseconds only when not zero). */
export function formatTimestamp(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?Z$/.exec(iso);
  if (!m) return iso;
  const fraction = m[3] !== undefined && !/^\.0+$/.test(m[3]) ? m[3] : '';
  return `${m[1]} ${m[2]}${fraction}Z`;
}

function formatRange(range: TimescaleInfoRange, integer: boolean): string {
  return integer
    ? `${range.from} .. ${range.to}`
    : `${formatTimestamp(range.from)} .. ${formatTimestamp(range.to)}`;
}

const DASH = '-';
const orDash = (value: string | number | null): string => (value === null ? DASH : String(value));
const timeOrDash = (iso: string | null): string => (iso === null ? DASH : formatTimestamp(iso));

/** Left-aligned columns separated by two spaces, without trailing blanks. */
function alignRows(rows: readonly (readonly string[])[], indent: string): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map(
    (row) =>
      indent +
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
  );
}

function jobRows(jobs: readonly TimescaleInfoJob[]): string[][] {
  const header = [
    'ID',
    'KIND',
    'INTERVAL',
    'SCHEDULE',
    'LAST RUN',
    'STATUS',
    'NEXT START',
    'RUNS',
    'FAILURES',
  ];
  return [
    header,
    ...jobs.map((j) => [
      String(j.id),
      j.kind === 'other' ? `other (${j.procName})` : j.kind,
      orDash(j.interval),
      j.scheduled ? j.schedule : `${j.schedule} (paused)`,
      timeOrDash(j.lastRunStartedAt),
      orDash(j.lastRunStatus),
      timeOrDash(j.nextStart),
      orDash(j.totalRuns),
      orDash(j.totalFailures),
    ]),
  ];
}

function compressionLines(h: TimescaleInfoHypertable): string[] {
  const c = h.compression;
  if (!c.enabled) {
    return [
      c.compressedChunks > 0
        ? `compression:  off (${c.compressedChunks} of ${h.chunks} chunks still compressed)`
        : 'compression:  off',
    ];
  }
  const settings = [
    c.segmentBy.length > 0 ? `segment by ${c.segmentBy.join(', ')}` : 'no segment by',
    c.orderBy.length > 0 ? `order by ${c.orderBy.join(', ')}` : 'default order',
    ...(c.chunkInterval ? [`rolled into ${c.chunkInterval} chunks`] : []),
    ...(c.sparseIndexes.length > 0
      ? [`sparse ${c.sparseIndexes.map((s) => `${s.type}(${s.column})`).join(', ')}`]
      : []),
  ];
  let state = `${c.compressedChunks} of ${h.chunks} chunks compressed`;
  if (c.beforeBytes !== null && c.afterBytes !== null) {
    state += `, ${formatBytes(c.beforeBytes)} -> ${formatBytesAs(c.afterBytes, c.beforeBytes)}`;
    if (c.ratio !== null) state += ` (${c.ratio.toFixed(1)}x)`;
  }
  return [`compression:  on, ${settings.join(', ')}`, `              ${state}`];
}

function hypertableBlock(h: TimescaleInfoHypertable): string[] {
  const integer = h.integerChunkInterval !== null;
  const interval = h.chunkInterval ?? h.integerChunkInterval;
  const lines = [
    `hypertable ${h.schema}.${h.table}${h.model === null ? '' : ` (model ${h.model})`}`,
    `  time column:  ${h.timeColumn} (${h.timeType}), chunks of ${interval ?? 'unknown size'}`,
    ...(h.partitioning === null
      ? []
      : [
          `  partitioned:  by hash of ${h.partitioning.column} into ${h.partitioning.partitions} partitions`,
        ]),
    `  chunks:       ${h.chunks}${h.range === null ? '' : `, ${formatRange(h.range, integer)}`}`,
    `  size:         ${formatBytes(h.totalBytes)}`,
    ...compressionLines(h).map((l) => `  ${l}`),
    ...(h.reorderIndex === null ? [] : [`  reorder:      by index ${h.reorderIndex}`]),
  ];
  if (h.jobs.length === 0) {
    lines.push('  jobs:         none');
  } else {
    lines.push('  jobs:', ...alignRows(jobRows(h.jobs), '    '));
  }
  return lines;
}

const FORM: Readonly<Record<TimescaleInfoAggregate['form'], string>> = {
  continuous: 'continuous aggregate',
  'materialized view':
    'materialized view (standing in for a continuous aggregate; `prism-migrate jobs run` refreshes it)',
  view: 'view (standing in for a continuous aggregate; computed when read)',
};

function refreshLines(a: TimescaleInfoAggregate): string[] {
  const r = a.refresh;
  if (r === null) return ['  refresh:      no policy'];
  const window = `from ${r.startOffset === null ? 'the first row' : `${r.startOffset} ago`} to ${r.endOffset === null ? 'the newest row' : `${r.endOffset} ago`}`;
  const last =
    r.lastRunStartedAt === null
      ? 'never (or unknown)'
      : `${formatTimestamp(r.lastRunStartedAt)} (${r.lastRunStatus ?? 'unknown status'})`;
  return [
    `  refresh:      ${window}, every ${r.scheduleInterval}${r.jobId === null ? '' : ` (job ${r.jobId})`}`,
    `  last refresh: ${last}${r.nextStart === null ? '' : `, next ${formatTimestamp(r.nextStart)}`}`,
  ];
}

function aggregateBlock(a: TimescaleInfoAggregate): string[] {
  const source = `${a.source.kind === 'aggregate' ? 'aggregate ' : ''}${a.source.schema}.${a.source.name}`;
  const columns = a.columns.map((c) => `${c.name} ${c.call}`).join(', ');
  const materialized =
    a.form === 'continuous'
      ? `${a.materializedThrough === null ? 'nothing yet' : `up to ${/^-?\d+$/.test(a.materializedThrough) ? a.materializedThrough : formatTimestamp(a.materializedThrough)}`}${a.realtime ? '; newer rows aggregated when read (realtime)' : ''}`
      : a.form === 'materialized view'
        ? a.populated === true
          ? 'as of its last refresh'
          : 'never refreshed (empty)'
        : 'nothing (computed when read)';
  return [
    `aggregate ${a.schema}.${a.name}${a.model === null ? '' : ` (model ${a.model})`}: ${FORM[a.form]}`,
    `  bucket:       ${a.bucket} of ${source}.${a.source.timeColumn}${a.groupBy.length > 0 ? ` by ${a.groupBy.join(', ')}` : ''}`,
    `  columns:      ${columns}`,
    ...(a.form === 'continuous' ? refreshLines(a) : []),
    `  materialized: ${materialized}`,
    ...(a.totalBytes === null ? [] : [`  size:         ${formatBytes(a.totalBytes)}`]),
    ...(a.form === 'continuous'
      ? [
          `  compression:  ${a.compression.enabled ? `on, ${a.compression.segmentBy.length > 0 ? `segment by ${a.compression.segmentBy.join(', ')}` : 'no segment by'}${a.compression.after === null ? '' : `, after ${a.compression.after}`}` : 'off'}`,
          `  retention:    ${a.retention === null ? 'none' : `drop after ${a.retention.dropAfter}`}`,
        ]
      : []),
  ];
}

const AVAILABILITY: Readonly<Record<TimescaleInfo['timescale']['availability'], string>> = {
  installed: 'installed',
  creatable: 'on the server, created by the first `up`',
  'not-preloaded': 'on the server, not in shared_preload_libraries',
  'no-privilege': 'on the server, this user may not create it',
  unavailable: 'not on the server',
};

/** Header lines, one block per hypertable, then the timeseries models that are plain tables. */
export function formatTimescaleInfo(info: TimescaleInfo): string {
  const t = info.timescale;
  const lines = [
    `server: PostgreSQL ${info.server.version}${info.embedded ? ' (embedded)' : ''}`,
    t.installed
      ? `TimescaleDB ${t.version ?? 'unknown version'} (license: ${t.license ?? 'unknown'}; compression ${t.compression ? 'available' : 'unavailable'}, policies ${t.policies ? 'available' : 'unavailable'})`
      : `TimescaleDB: not installed in this database (${AVAILABILITY[t.availability]}${t.availableVersion === null ? '' : `: ${t.availableVersion}`})`,
  ];
  if (t.installed) {
    lines.push(
      `policy jobs: ${info.jobsRunAutomatically ? 'run automatically' : 'do not run automatically'}`,
    );
  }
  if (t.note !== null) lines.push(`note: ${t.note}`);

  if (t.installed) {
    if (info.hypertables.length === 0) {
      lines.push('', 'no hypertables');
    } else {
      for (const h of info.hypertables) lines.push('', ...hypertableBlock(h));
    }
  }

  for (const a of info.aggregates) lines.push('', ...aggregateBlock(a));

  if (info.plainTables.length > 0) {
    lines.push(
      '',
      t.installed
        ? 'timeseries models that are plain tables, not hypertables:'
        : 'timeseries models that are plain tables here (hypertables with TimescaleDB):',
      ...alignRows(
        info.plainTables.map((p) => [p.table, `model ${p.model}`, `time column ${p.timeColumn}`]),
        '  ',
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}
