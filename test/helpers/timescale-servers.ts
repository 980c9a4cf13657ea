/**
 * Native TimescaleDB servers for the integration suites: the URLs in
 * PRISM_TEST_TIMESCALE_URLS (space- or comma-separated; `test/timescale-servers.sh`
 * starts 2.28.3 with the Timescale License, 2.28.3 Apache-only and 2.12.2 and sets it)
 * or PRISM_TEST_TIMESCALE_URL. Each server is asked which TimescaleDB version it has and
 * under which licence it runs, so suites pick servers by what they need.
 *
 * Without URLs, where a Docker engine runs, a `timescale/timescaledb` container
 * (testcontainers) is the one server; without either the native suites skip, each
 * saying so. With
 * PRISM_TEST_REQUIRE_TIMESCALE=1 (set by that script) a server that is missing or
 * unreachable fails the run instead: nothing TimescaleDB-related may skip there.
 */
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { detectTimescale, probeLicense } from '../../lib/db/detect.js';
import { createServerDatabase, type TestDatabase } from './databases.js';

export type TimescaleLicense = 'timescale' | 'apache';

export interface NativeServer {
  readonly url: string;
  /** The version CREATE EXTENSION installs, e.g. `2.28.3`. */
  readonly version: string;
  readonly license: TimescaleLicense;
  /** e.g. `native TimescaleDB 2.28.3 (Timescale License)`. */
  readonly label: string;
}

export const TIMESCALE_REQUIRED = process.env['PRISM_TEST_REQUIRE_TIMESCALE'] === '1';

function configuredUrls(): string[] {
  const list = [
    process.env['PRISM_TEST_TIMESCALE_URLS'] ?? '',
    process.env['PRISM_TEST_TIMESCALE_URL'] ?? '',
  ].join(' ');
  return [...new Set(list.split(/[\s,]+/).filter((u) => u !== ''))];
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

async function probe(url: string): Promise<NativeServer> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    const support = await detectTimescale(client);
    const version = support.version ?? support.availableVersion;
    if (!version) throw new Error(`no TimescaleDB package on the server at ${redact(url)}`);
    const license = await probeLicense(url, support);
    if (license !== 'timescale' && license !== 'apache') {
      throw new Error(
        `cannot tell the TimescaleDB licence at ${redact(url)} (${support.availability}, licence ${String(license)})`,
      );
    }
    const name = license === 'timescale' ? 'Timescale License' : 'Apache-only';
    return Object.freeze({
      url,
      version: version.split('-')[0] as string,
      license,
      label: `native TimescaleDB ${version} (${name})`,
    });
  } finally {
    await client.end();
  }
}

function dockerRuns(): boolean {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

/** A TimescaleDB container, removed by testcontainers when the test process ends. */
async function startContainer(): Promise<string> {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const container = await new PostgreSqlContainer('timescale/timescaledb:latest-pg16').start();
  return container.getConnectionUri();
}

async function probeAll(): Promise<readonly NativeServer[]> {
  const servers: NativeServer[] = [];
  const urls = configuredUrls();
  if (urls.length === 0 && dockerRuns()) urls.push(await startContainer());
  for (const url of urls) {
    try {
      servers.push(await probe(url));
    } catch (error) {
      const message = `TimescaleDB test server ${redact(url)} is not usable: ${(error as Error).message}`;
      if (TIMESCALE_REQUIRED) throw new Error(message, { cause: error });
      console.warn(`\n  WARNING: ${message}; its suites skip.\n`);
    }
  }
  return Object.freeze(servers);
}

/** The servers found, probed once when the test run loads. */
export const NATIVE_SERVERS: readonly NativeServer[] = await probeAll();

export interface ServerWanted {
  readonly version?: string;
  readonly license?: TimescaleLicense;
  /** Versions before 2.13 (the create_hypertable API without by_range). */
  readonly before213?: boolean;
}

function matches(server: NativeServer, wanted: ServerWanted): boolean {
  const [major = 0, minor = 0] = server.version.split('.').map(Number);
  const old = major < 2 || (major === 2 && minor < 13);
  return (
    (wanted.version === undefined || server.version === wanted.version) &&
    (wanted.license === undefined || server.license === wanted.license) &&
    (wanted.before213 === undefined || wanted.before213 === old)
  );
}

function describeWanted(wanted: ServerWanted): string {
  const parts = [
    wanted.version ? `TimescaleDB ${wanted.version}` : 'TimescaleDB',
    wanted.before213 === true ? 'before 2.13' : wanted.before213 === false ? '2.13 or newer' : '',
    wanted.license === 'apache'
      ? 'Apache-only'
      : wanted.license === 'timescale'
        ? 'Timescale License'
        : '',
  ];
  return parts.filter((p) => p !== '').join(', ');
}

/** The first configured server with these traits. */
export function findServer(wanted: ServerWanted): NativeServer | undefined {
  return NATIVE_SERVERS.find((s) => matches(s, wanted));
}

/** The kinds of server CI runs; suites "on every native server" use these. */
export const SERVER_KINDS: readonly ServerWanted[] = Object.freeze([
  { license: 'timescale', before213: false },
  { license: 'apache' },
  { license: 'timescale', before213: true },
]);

/** The main native target: a current release with the Timescale License. */
export const CURRENT_TSL: ServerWanted = SERVER_KINDS[0] as ServerWanted;

/**
 * `describe` on a native server of this kind. Without one the suite skips, saying so —
 * or, when servers are required, fails.
 */
export function describeNative(
  wanted: ServerWanted,
  title: string,
  body: (server: NativeServer) => void,
): void {
  const server = findServer(wanted);
  if (server) {
    describe(`${title} on ${server.label}`, function () {
      body(server);
    });
    return;
  }
  const missing = `no native server with ${describeWanted(wanted)}: set PRISM_TEST_TIMESCALE_URLS or run the tests through test/timescale-servers.sh (\`npm test\` does)`;
  describe(`${title} on a native TimescaleDB server (${describeWanted(wanted)})`, function () {
    if (TIMESCALE_REQUIRED) {
      it('has a server to run on', () => {
        throw new Error(`native TimescaleDB servers are required here, but there is ${missing}`);
      });
      return;
    }
    before(function () {
      console.warn(`\n  SKIPPED: ${title}: ${missing}.\n`);
      this.skip();
    });
    it('runs on a native TimescaleDB server');
  });
}

/** `describeNative` for each kind of server CI runs. */
export function describeEachNative(title: string, body: (server: NativeServer) => void): void {
  for (const kind of SERVER_KINDS) describeNative(kind, title, body);
}

/**
 * A new database on a native server, dropped by dispose(). TimescaleDB is not created in
 * it: as on a self-hosted server, `up` creates it.
 */
export async function createNativeDatabase(server: NativeServer): Promise<TestDatabase> {
  const db = await createServerDatabase('prism_ts', server.url);
  return { ...db, label: server.label };
}
