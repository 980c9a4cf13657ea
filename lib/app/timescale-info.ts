/** `timescale-info`: TimescaleDB version and licence, hypertables, chunks, compression and jobs. */
import type { Spec } from '../spec/types.js';
import { connect } from '../db/connect.js';
import { timescaleInfo, type TimescaleInfo } from '../introspect/info.js';
import { withDatabase, type DatabaseOptions } from './database.js';

export interface TimescaleInfoAppOptions extends DatabaseOptions {
  /** Names the models; without one the database is described alone. */
  readonly spec?: Spec | undefined;
}

/** Read-only: never creates the embedded database. */
export async function describeTimescale(options: TimescaleInfoAppOptions): Promise<TimescaleInfo> {
  return withDatabase(
    options,
    'timescale-info',
    async (db) => {
      const client = await connect(db.url);
      try {
        return await timescaleInfo(client, options.spec, { embedded: db.embedded });
      } finally {
        await client.end();
      }
    },
    true,
  );
}
