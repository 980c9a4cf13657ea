/**
 * Every operation on a real TimescaleDB server: PRISM_TEST_TIMESCALE_URL, or a container
 * when a Docker engine runs. Without either this suite skips, and says so.
 */
import { execFileSync } from 'node:child_process';
import { createServerDatabase, type TestDatabase } from '../helpers/databases.js';
import { exerciseEveryOperation } from './operations.test.js';

function dockerRuns(): boolean {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

describe('every operation on a real TimescaleDB server', function () {
  this.timeout(300_000);
  let db: TestDatabase | undefined;
  let stopContainer: (() => Promise<unknown>) | undefined;

  before(async function () {
    let url = process.env['PRISM_TEST_TIMESCALE_URL'];
    if (!url && dockerRuns()) {
      const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
      const container = await new PostgreSqlContainer('timescale/timescaledb:latest-pg16').start();
      stopContainer = () => container.stop();
      url = container.getConnectionUri();
    }
    if (!url) {
      console.warn(
        '\n  SKIPPED: the real TimescaleDB server suite needs PRISM_TEST_TIMESCALE_URL or a Docker engine; neither is here.\n',
      );
      this.skip();
    }
    db = await createServerDatabase('prism_ts', url);
    await (
      await import('../helpers/databases.js')
    ).withClient(db.url, (c) => c.query('CREATE EXTENSION IF NOT EXISTS timescaledb'));
  });
  after(async () => {
    await db?.dispose();
    await stopContainer?.();
  });

  it('goes up, down and up again with identical catalogs at each step', () =>
    exerciseEveryOperation(db as TestDatabase));
});
