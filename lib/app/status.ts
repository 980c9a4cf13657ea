/** `status`: applied and pending migrations, and the TimescaleDB objects in the database. */
import { connect } from '../db/connect.js';
import { migrationStatus, type MigrationState } from '../runner/migrate.js';
import { historyTable, type HistoryOptions } from '../runner/history.js';
import { detectTimescale, type TimescaleSupport } from '../db/detect.js';
import { listHypertables, type HypertableSummary } from '../introspect/hypertables.js';
import { withDatabase, type DatabaseOptions } from './database.js';

export interface StatusOptions extends DatabaseOptions, HistoryOptions {
  readonly migrationsDir: string;
}

export interface StatusResult {
  /** Which database, e.g. the server's address or the embedded database's directory. */
  readonly database: string;
  readonly timescale: TimescaleSupport;
  readonly migrations: MigrationState[];
  readonly hypertables: HypertableSummary[];
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
        return { database: db.description, timescale, migrations, hypertables };
      } finally {
        await client.end();
      }
    },
    true,
  );
}
