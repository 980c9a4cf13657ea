/**
 * `init`: a new project's prism.yaml (commented, valid as written), the .gitignore lines
 * for the embedded database and .env, and a .env.example. Opens no database.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { UsageError } from '../errors.js';

export interface InitOptions {
  /** The project directory: .gitignore and .env.example go here. */
  readonly dir: string;
  /** Where prism.yaml is written. */
  readonly specFile: string;
  /** Overwrite an existing prism.yaml and .env.example. */
  readonly force?: boolean;
}

export type InitAction = 'created' | 'overwritten' | 'appended' | 'unchanged';

export interface InitFile {
  /** Relative to `dir` when inside it. */
  readonly path: string;
  readonly action: InitAction;
  /** For .gitignore: the lines added. */
  readonly lines?: readonly string[];
}

export interface InitResult {
  readonly files: readonly InitFile[];
}

export const STARTER_SPEC = `# prism.yaml: the data models of this project. Each model becomes a table; a model
# with a \`timeseries:\` block becomes a TimescaleDB hypertable.
# Check it with \`prism-migrate validate\`, then write a migration with \`prism-migrate generate\`.

# auto: TimescaleDB when the server has it, plain PostgreSQL otherwise;
# require: fail without it; off: plain tables only. A model can override it.
timescale: auto

models:
  # A hypertable: its rows are partitioned by time into chunks.
  - name: Reading # the table is \`reading\` (the name lowercased) unless \`table:\` is given
    fields:
      - name: id
        type: uuid
        primary_key: true
        default: gen_random_uuid()
      - name: recorded_at
        type: datetime # timestamptz
        primary_key: true # TimescaleDB requires the time column in every primary key
        default: now()
      - name: sensor_id
        type: string
        max_length: 64
      - name: value
        type: float
      - name: metadata
        type: json # jsonb
        optional: true # fields are NOT NULL unless optional
    timeseries:
      # The column that partitions the hypertable: datetime, date, int or bigint.
      time_column: recorded_at
      # The time range one chunk covers (for int/bigint time columns: a whole number in
      # the column's units).
      chunk_interval: 7 days
      # Only for int/bigint time columns: the unit the integer counts, s, ms or us.
      # time_unit: s
      compression: # TimescaleDB's columnstore for old chunks
        enabled: true # false: chunks stay uncompressed
        after: 30 days # chunks older than this are compressed
        segment_by: [sensor_id] # compressed rows are grouped by these columns
        order_by: [recorded_at DESC] # order within a group: column [ASC|DESC] [NULLS FIRST|LAST]
      retention: # old chunks are dropped by a policy job
        enabled: true # false: no chunk is dropped
        drop_after: 1 year # chunks older than this are dropped, rows and all
      indexes: # more indexes; a unique one must include the time column
        - columns: [sensor_id, recorded_at] # the indexed columns, in order
          type: btree # btree, brin, hash or gin
          unique: false # true: a unique index (with the time column among its columns)
          # name: reading_by_sensor # default: <table>_<columns>_idx

  # A plain table.
  - name: Sensor
    fields:
      - name: id
        type: string
        max_length: 64
        primary_key: true
      - name: label
        type: text
      - name: installed_on
        type: date
        optional: true
`;

export const ENV_EXAMPLE = `# Copy to .env (not committed); prism-migrate reads .env from the current directory.

# The database migrations are applied to. Without it: the embedded TimescaleDB in ./.prism/db.
DATABASE_URL=postgres://user:password@localhost:5432/app

# The REST API's bearer token (\`prism-migrate serve\`): 16 or more random characters,
# e.g. from \`openssl rand -hex 32\`; required when the API listens beyond loopback.
# PRISM_API_TOKEN=
`;

/** The embedded database and .env stay local; migrations/.prism/ (the snapshot) is committed. */
const IGNORED: readonly { readonly line: string; readonly forms: readonly string[] }[] = [
  { line: '/.prism/db/', forms: ['.prism/db', '/.prism/db', '.prism/db/', '/.prism/db/'] },
  { line: '.env', forms: ['.env', '/.env'] },
];

const GITIGNORE_COMMENT = '# prism-migrate: the embedded database and local settings';

function displayPath(dir: string, file: string): string {
  const rel = relative(dir, file);
  return rel === '' || rel.startsWith('..') ? file : rel;
}

/** Adds the missing lines only, so running init again changes nothing. */
function updateGitignore(dir: string): InitFile {
  const file = join(dir, '.gitignore');
  const existing = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  const present = new Set((existing ?? '').split(/\r?\n/).map((l) => l.trim()));
  const missing = IGNORED.filter((i) => !i.forms.some((f) => present.has(f))).map((i) => i.line);
  if (missing.length === 0) return { path: '.gitignore', action: 'unchanged', lines: [] };
  const separator =
    existing === undefined || existing === '' ? '' : existing.endsWith('\n') ? '\n' : '\n\n';
  writeFileSync(
    file,
    `${existing ?? ''}${separator}${[GITIGNORE_COMMENT, ...missing].join('\n')}\n`,
  );
  return {
    path: '.gitignore',
    action: existing === undefined ? 'created' : 'appended',
    lines: missing,
  };
}

function writeEnvExample(dir: string, force: boolean): InitFile {
  const file = join(dir, '.env.example');
  const exists = existsSync(file);
  if (exists && !force) return { path: '.env.example', action: 'unchanged' };
  writeFileSync(file, ENV_EXAMPLE);
  return { path: '.env.example', action: exists ? 'overwritten' : 'created' };
}

/** Refuses an existing prism.yaml before writing anything (UsageError), unless `force`. */
export function init(options: InitOptions): InitResult {
  const force = options.force === true;
  const specPath = displayPath(options.dir, options.specFile);
  const specExists = existsSync(options.specFile);
  if (specExists && !force) {
    throw new UsageError(`${specPath} already exists`, {
      hint: 'edit it, or run `prism-migrate init --force` to replace it with the starter spec',
    });
  }
  try {
    writeFileSync(options.specFile, STARTER_SPEC);
  } catch (error) {
    throw new UsageError(`cannot write ${specPath}: ${(error as Error).message}`, {
      hint: 'pass a writable path with --spec <file>',
      cause: error,
    });
  }
  return {
    files: [
      { path: specPath, action: specExists ? 'overwritten' : 'created' },
      updateGitignore(options.dir),
      writeEnvExample(options.dir, force),
    ],
  };
}
