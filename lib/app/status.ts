/** `status`: applied and pending migrations, and the TimescaleDB objects in the database. */
import { connect } from '../db/connect.js';
import { migrationStatus, type MigrationState } from '../runner/migrate.js';
import { historyTable, type HistoryOptions } from '../runner/history.js';
import { detectTimescale, type TimescaleSupport } from '../db/detect.js';
import { listHypertables, type HypertableSummary } from '../introspect/hypertables.js';
import { withDatabase, type DatabaseOptions } from './database.js';
import { readSchema } from '../catalog/read.js';
import { amountText } from '../spec/time-amount.js';

export interface StatusOptions extends DatabaseOptions, HistoryOptions {
  readonly migrationsDir: string;
}

export interface StatusResult {
  /** Which database, e.g. the server's address or the embedded database's directory. */
  readonly database: string;
  readonly timescale: TimescaleSupport;
  readonly migrations: MigrationState[];
  readonly hypertables: HypertableSummary[];
  /** Continuous aggregates and their stand-ins in the current schema, sources first. */
  readonly aggregates: AggregateSummary[];
}

export interface AggregateSummary {
  /** `schema.name`. */
  readonly aggregate: string;
  readonly form: 'continuous' | 'materialized view' | 'view';
  readonly source: string;
  readonly bucket: string;
}

/** Read-only: never creates the embedded database. */
export async function status(options: StatusOptions): Promise<StatusResult> {
  return withDatabase(
    options,
    'status',
    async (db) => {
      const migrations = await migrationStatus(
        db.url,
        options.migrationsDir,
        historyTable(options),
      );
      const client = await connect(db.url);
      try {
        const timescale = await detectTimescale(client);
        const hypertables = timescale.installed ? await listHypertables(client) : [];
        const aggregates = ((await readSchema(client)).aggregates ?? []).map((a) => ({
          aggregate: `${a.schema}.${a.name}`,
          form: a.form ?? 'continuous',
          source: `${a.source.schema}.${a.source.name}`,
          bucket: amountText(a.bucket),
        }));
        return { database: db.description, timescale, migrations, hypertables, aggregates };
      } finally {
        await client.end();
      }
    },
    true,
  );
}
