/**
 * The command line: parses arguments, calls the library, prints. No SQL here.
 * Exit codes: 0 ok, 1 check failed, 2 bad input, 3 database error.
 */
import { existsSync, rmSync, statSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import pg from 'pg';
import { CheckFailedError, DatabaseError, ExitCode, PrismError, UsageError } from '../errors.js';
import { describeFailure, createOutput, type Output } from './output.js';
import { startProgress } from './progress.js';
import { loadSpec } from '../spec/load.js';
import { EMBEDDED_DIR, resolveTarget, type DatabaseTarget } from '../db/target.js';
import { openDatabase, renamedSession, type OpenDatabase } from '../db/open.js';
import { acquireLock, inspectLock } from '../db/embedded/lock.js';
import { DEFAULT_EMBEDDED_PORT, startEmbeddedServer } from '../db/embedded/serve.js';
import { describeAvailability, detectTimescale, probeLicense } from '../db/detect.js';
import { listHypertables } from '../introspect/hypertables.js';
import { detectDrift, type Drift } from '../introspect/drift.js';
import { timescaleInfo } from '../introspect/info.js';
import { formatTimescaleInfo } from '../introspect/format-info.js';
import { runPolicyJobs } from '../runner/jobs.js';
import { buildApi, routeOf } from '../api/server.js';
import { checkToken } from '../api/auth.js';
import { DEFAULT_HEALTH_TIMEOUT_MS } from '../api/health.js';
import { describeListening } from '../api/listen.js';
import { DEFAULT_MAX_QUEUED, DEFAULT_MAX_WAIT_MS } from '../api/sessions.js';
import { detectDialect } from '../query/repository.js';
import { assessDataLoss, type DataLoss } from '../introspect/data-loss.js';
import { connect, migrate, migrationStatus, redo, type MigrationRun } from '../runner/migrate.js';
import { DEFAULT_LOCK_TIMEOUT_MS } from '../runner/lock.js';
import { formatDuration, parseDuration } from '../util/duration.js';
import { applyTimescale } from '../runner/apply-timescale.js';
import { createMigration, type MigrationLanguage } from '../generate/create.js';
import { generateMigration, pendingChanges } from '../generate/generate.js';
import { lineageProblems } from '../generate/lineage.js';
import { TIMESCALE_MODES, type TimescaleMode } from '../operations/mode.js';

interface GlobalOptions {
  spec: string;
  migrationsDir: string;
  databaseUrl?: string;
  json?: boolean;
}

/** Work to undo if the process is interrupted (an open embedded database holds a lock). */
const cleanups = new Set<() => Promise<void>>();
/** A command that handles Ctrl-C itself (`embedded start` stops and exits 0). */
let onInterrupt: (() => void) | undefined;

function isLoopback(host: string): boolean {
  return /^(127\.|localhost$|::1$)/.test(host);
}

function positiveCount(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError('expected a whole number ≥ 1');
  return Number(value);
}

function count(value: string): number {
  if (!/^\d{1,9}$/.test(value)) throw new InvalidArgumentError('expected a whole number ≥ 0');
  return Number(value);
}

/** Database sessions `serve` opens on a server by default. */
const DEFAULT_API_SESSIONS = 4;

function lockTimeout(value: string): number {
  try {
    return parseDuration(value, '--lock-timeout');
  } catch (error) {
    throw new InvalidArgumentError(
      `${(error as Error).message}; ${(error as UsageError).hint ?? ''}`.replace(/; $/, ''),
    );
  }
}

const lockTimeoutOption = () =>
  new Option(
    '--lock-timeout <duration>',
    `how long to wait while another deploy holds the migration lock (0: fail at once; default ${formatDuration(DEFAULT_LOCK_TIMEOUT_MS)})`,
  ).argParser(lockTimeout);

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535)
    throw new InvalidArgumentError('expected a port number 1-65535');
  return n;
}

async function withDatabase<T>(
  globals: GlobalOptions,
  command: string,
  out: Output,
  work: (db: OpenDatabase) => Promise<T>,
  mustExist = false,
): Promise<T> {
  const target: DatabaseTarget = resolveTarget({ databaseUrl: globals.databaseUrl });
  const db = await openDatabase(target, { command, log: (l) => out.info(l), mustExist });
  const close = () => db.close();
  cleanups.add(close);
  try {
    return await work(db);
  } finally {
    cleanups.delete(close);
    await db.close();
  }
}

function printRuns(out: Output, runs: MigrationRun[], dryRun: boolean): void {
  if (runs.length === 0) out.line('No migrations to run.');
  for (const run of runs) {
    if (dryRun) {
      out.line(`-- ${run.name} (${run.direction}, dry run: nothing applied)`);
      out.line(run.sql ?? '');
    } else {
      out.line(`${run.direction === 'up' ? 'applied ' : 'reverted'} ${run.name}`);
    }
  }
  out.result({ dryRun, migrations: runs });
}

function runCommand(program: Command, direction: 'up' | 'down', out: Output) {
  return async (
    count: number | undefined,
    opts: {
      dryRun?: boolean;
      timescale?: TimescaleMode;
      allowDataLoss?: boolean;
      lockTimeout?: number;
    },
  ) => {
    const globals = program.opts<GlobalOptions>();
    // A dry run changes nothing, so it does not create the embedded database either.
    await withDatabase(
      globals,
      direction,
      out,
      async (db) => {
        out.info(`database: ${db.description}`);
        const progress = startProgress(process.stderr, !out.json);
        let runs;
        try {
          runs = await migrate({
            onMigrationStart: (name) =>
              progress.update(`${direction === 'up' ? 'applying' : 'reverting'} ${name}`),
            url: db.url,
            migrationsDir: resolve(globals.migrationsDir),
            direction,
            count,
            dryRun: opts.dryRun,
            timescale: opts.timescale,
            allowDataLoss: opts.allowDataLoss,
            lockTimeoutMs: opts.lockTimeout,
            // Log lines would be drawn over by the spinner: clear it first.
            log: (l) => {
              progress.clear();
              out.info(l);
            },
          });
        } finally {
          progress.stop();
        }
        printRuns(out, runs, opts.dryRun === true);
      },
      opts.dryRun === true,
    );
  };
}

function dirSize(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((sum, entry) => sum + dirSize(join(path, entry)), 0);
}

export function buildProgram(out: Output): Command {
  const program = new Command('prism-migrate')
    .description('TimescaleDB schemas from prism.yaml, applied with node-pg-migrate')
    .option('--spec <file>', 'the spec file', 'prism.yaml')
    .option('--migrations-dir <dir>', 'migrations directory', 'migrations')
    .option(
      '--database-url <url>',
      'database URL (default: DATABASE_URL, else the embedded database in ./.prism/db)',
    )
    .option('--json', 'machine-readable output on stdout')
    .exitOverride()
    .configureOutput({
      writeErr: (s) => process.stderr.write(s),
      writeOut: (s) => process.stdout.write(s),
    });

  const timescaleOption = () =>
    new Option('--timescale <mode>', 'override the TimescaleDB mode of every operation').choices(
      TIMESCALE_MODES,
    );

  program
    .command('validate')
    .description('validate the spec and print its models')
    .action(async () => {
      const globals = program.opts<GlobalOptions>();
      const loaded = await loadSpec(resolve(globals.spec));
      for (const a of loaded.adjustments)
        out.info(`${a.file}:${a.line}:${a.column}: note: ${a.message}`);
      for (const w of loaded.warnings)
        out.info(`${w.file}:${w.line}:${w.column}: warning: ${w.message}`);
      for (const m of loaded.spec.models) {
        const ts = m.timeseries ? ` hypertable on ${m.timeseries.timeColumn}` : ' plain table';
        out.line(
          `${m.name} -> ${m.table}:${ts}, ${m.fields.length} fields, primary key (${m.primaryKey.join(', ')})`,
        );
      }
      out.line(`${globals.spec}: valid (${loaded.spec.models.length} models)`);
      out.result({
        valid: true,
        spec: loaded.spec,
        warnings: loaded.warnings,
        adjustments: loaded.adjustments,
      });
    });

  program
    .command('generate')
    .description(
      'write one migration with the changes of the spec since the last one (and the new snapshot)',
    )
    .option('--name <name>', 'file name after the timestamp (default: from the changes)')
    .addOption(new Option('--language <lang>', 'ts or js').choices(['ts', 'js']).default('ts'))
    .action(async (opts: { name?: string; language: MigrationLanguage }) => {
      const globals = program.opts<GlobalOptions>();
      const loaded = await loadSpec(resolve(globals.spec));
      const result = generateMigration({
        spec: loaded.spec,
        migrationsDir: resolve(globals.migrationsDir),
        name: opts.name,
        language: opts.language,
      });
      const destructiveUp = result.destructive.filter((x) => x.direction === 'up');
      for (const d of destructiveUp) out.info(`warning: ${d.code} ${d.message}`);
      // With a database at hand, say what those steps would lose there now.
      const target = resolveTarget({ databaseUrl: globals.databaseUrl });
      const reachable = target.kind === 'server' || existsSync(target.dataDir);
      let losses: DataLoss[] = [];
      if (result.written && destructiveUp.length > 0 && reachable) {
        losses = await withDatabase(
          globals,
          'generate',
          out,
          async (db) => {
            const client = await connect(db.url);
            try {
              return await assessDataLoss(client, destructiveUp);
            } finally {
              await client.end();
            }
          },
          true,
        );
        for (const loss of losses)
          out.info(`preview: ${loss.change.code} would lose ${loss.detail}`);
      }
      if (!result.written) {
        out.line('No changes: the spec matches the last generated migration.');
      } else {
        for (const d of result.descriptions) out.line(`  ${d}`);
        out.line(result.file);
      }
      out.result(
        result.written
          ? {
              file: result.file,
              changes: result.descriptions,
              destructive: result.destructive,
              dataLoss: losses,
            }
          : { file: null, changes: [] },
      );
    });

  program
    .command('check')
    .description(
      'exit 1 when the spec holds changes that no migration holds; given a database, also on pending migrations or drift',
    )
    .action(async () => {
      const globals = program.opts<GlobalOptions>();
      const loaded = await loadSpec(resolve(globals.spec));
      const migrationsDir = resolve(globals.migrationsDir);
      const pending = pendingChanges(loaded.spec, migrationsDir);
      const problems: string[] = lineageProblems(migrationsDir);
      for (const p of problems) out.line(`  ${p}`);
      for (const d of pending.descriptions) out.line(`  not in any migration: ${d}`);
      if (pending.changes.length > 0) {
        problems.push(
          `${pending.changes.length} change(s) of ${globals.spec} are in no migration (run \`prism-migrate generate\`)`,
        );
      }
      let database: { description: string; unapplied: string[]; drift: Drift[] } | undefined;
      const target = resolveTarget({ databaseUrl: globals.databaseUrl });
      // Read-only: never creates the embedded database.
      if (target.kind === 'server' || existsSync(target.dataDir)) {
        database = await withDatabase(
          globals,
          'check',
          out,
          async (db) => {
            const unapplied = (await migrationStatus(db.url, migrationsDir))
              .filter((m) => !m.applied)
              .map((m) => m.name);
            const client = await connect(db.url);
            try {
              const support = await detectTimescale(client);
              const drift = await detectDrift(client, loaded.spec, support, {
                pendingMigrations: unapplied.length,
                license: await probeLicense(db.url, support),
              });
              return { description: db.description, unapplied, drift };
            } finally {
              await client.end();
            }
          },
          true,
        );
        for (const name of database.unapplied) out.line(`  pending migration: ${name}`);
        for (const d of database.drift) {
          out.line(
            `  drift in ${d.table}: ${d.what}: expected ${d.expected}, found ${d.actual} — ${d.fix}`,
          );
        }
        if (database.unapplied.length > 0)
          problems.push(
            `${database.unapplied.length} migration(s) not applied (run \`prism-migrate up\`)`,
          );
        if (database.drift.length > 0)
          problems.push(
            `the live schema of ${database.description} drifts from the spec in ${database.drift.length} place(s)`,
          );
      }
      out.result({
        upToDate: problems.length === 0,
        changes: pending.descriptions,
        destructive: pending.destructive,
        database: database ?? null,
      });
      if (problems.length === 0) {
        out.line(
          database
            ? `The migrations hold every change of the spec, all are applied, and ${database.description} matches it.`
            : 'The migrations hold every change of the spec.',
        );
        return;
      }
      throw new CheckFailedError(problems.join('; '), {
        hint: 'generate and commit the missing migration, apply pending ones with `prism-migrate up`, or undo changes made by hand',
      });
    });

  const directions = [
    ['up', 'apply pending migrations (all, or N)'],
    ['down', 'revert the last N applied migrations (default 1)'],
  ] as const;
  for (const [direction, description] of directions) {
    program
      .command(direction)
      .description(description)
      .argument('[N]', 'how many', positiveCount)
      .option('--dry-run', 'print the SQL and apply nothing')
      .option(
        '--allow-data-loss',
        'apply steps that drop existing rows (dropped tables or columns, shorter retention)',
      )
      .addOption(timescaleOption())
      .addOption(lockTimeoutOption())
      .action(runCommand(program, direction, out));
  }

  program
    .command('apply-timescale')
    .description(
      'apply the TimescaleDB steps that applied migrations skipped while TimescaleDB was missing: create the extension, make timeseries tables hypertables with their rows, add compression and policies',
    )
    .option('--dry-run', 'do it in a transaction that is rolled back, and say what it would do')
    .option(
      '--allow-data-loss',
      'add retention policies although their first run drops existing rows',
    )
    .addOption(lockTimeoutOption())
    .action(async (opts: { dryRun?: boolean; allowDataLoss?: boolean; lockTimeout?: number }) => {
      const globals = program.opts<GlobalOptions>();
      // The migrations' snapshot says what to reach; the spec only stands in without one.
      const specFile = resolve(globals.spec);
      const spec = existsSync(specFile) ? (await loadSpec(specFile)).spec : undefined;
      // Read-only until there is something to apply: never creates the embedded database.
      await withDatabase(
        globals,
        'apply-timescale',
        out,
        async (db) => {
          out.info(`database: ${db.description}`);
          const result = await applyTimescale({
            url: db.url,
            migrationsDir: resolve(globals.migrationsDir),
            spec,
            dryRun: opts.dryRun,
            allowDataLoss: opts.allowDataLoss,
            lockTimeoutMs: opts.lockTimeout,
            log: (l) => out.info(l),
          });
          for (const loss of result.dataLoss)
            out.info(`retention preview: ${loss.change.table}: ${loss.detail}`);
          const verb = result.dryRun ? 'would apply' : 'applied';
          if (result.createdExtension !== null)
            out.line(`${verb}: create TimescaleDB ${result.createdExtension} in this database`);
          for (const step of result.steps) out.line(`${verb}: ${step.description}`);
          out.line(
            result.steps.length === 0
              ? 'Nothing to apply: every timeseries model has the TimescaleDB objects this server allows.'
              : result.dryRun
                ? `dry run: ${result.steps.length} step(s) rolled back, nothing changed`
                : `${result.steps.length} step(s) applied`,
          );
          out.result({
            dryRun: result.dryRun,
            createdExtension: result.createdExtension,
            timescale: result.after,
            steps: result.steps,
            dataLoss: result.dataLoss,
          });
        },
        true,
      );
    });

  program
    .command('redo')
    .description('revert the last N migrations and apply them again (default 1)')
    .argument('[N]', 'how many', positiveCount)
    .option('--allow-data-loss', 'apply steps that drop existing rows')
    .addOption(timescaleOption())
    .addOption(lockTimeoutOption())
    .action(
      async (
        count: number | undefined,
        opts: { timescale?: TimescaleMode; allowDataLoss?: boolean; lockTimeout?: number },
      ) => {
        const globals = program.opts<GlobalOptions>();
        await withDatabase(globals, 'redo', out, async (db) => {
          const runs = await redo({
            url: db.url,
            migrationsDir: resolve(globals.migrationsDir),
            count: count ?? 1,
            timescale: opts.timescale,
            allowDataLoss: opts.allowDataLoss,
            lockTimeoutMs: opts.lockTimeout,
            log: (l: string) => out.info(l),
          });
          printRuns(out, runs, false);
        });
      },
    );

  program
    .command('status')
    .description('applied and pending migrations, and the TimescaleDB objects in the database')
    .action(async () => {
      const globals = program.opts<GlobalOptions>();
      await withDatabase(
        globals,
        'status',
        out,
        async (db) => {
          const migrations = await migrationStatus(db.url, resolve(globals.migrationsDir));
          const client = await connect(db.url);
          try {
            const timescale = await detectTimescale(client);
            const hypertables = timescale.installed ? await listHypertables(client) : [];
            out.line(`database: ${db.description}`);
            out.line(describeAvailability(timescale));
            out.line('migrations:');
            for (const m of migrations) {
              const state = m.missingFile
                ? 'applied, FILE MISSING'
                : m.applied
                  ? 'applied'
                  : 'pending';
              out.line(`  ${state.padEnd(8)} ${m.name}`);
            }
            if (hypertables.length > 0) out.line('hypertables:');
            for (const h of hypertables) {
              out.line(
                `  ${h.table} on ${h.timeColumn}: chunks of ${h.chunkInterval}, ${h.chunks} chunks, compression ${h.compressionEnabled ? 'on' : 'off'}` +
                  `${h.compressionPolicy ? `, compress after ${h.compressionPolicy}` : ''}${h.retentionPolicy ? `, drop after ${h.retentionPolicy}` : ''}`,
              );
            }
            out.result({ database: db.description, timescale, migrations, hypertables });
          } finally {
            await client.end();
          }
        },
        true,
      );
    });

  program
    .command('create')
    .description('write a new migration file from the template')
    .argument('<name>', 'e.g. add-metrics')
    .addOption(new Option('--language <lang>', 'ts or js').choices(['ts', 'js']).default('ts'))
    .action((name: string, opts: { language: MigrationLanguage }) => {
      const globals = program.opts<GlobalOptions>();
      const file = createMigration(name, {
        dir: resolve(globals.migrationsDir),
        language: opts.language,
      });
      out.line(file);
      out.result({ file });
    });

  program
    .command('timescale-info')
    .description(
      'TimescaleDB version and licence, hypertables, chunks, compression and policy jobs',
    )
    .action(async () => {
      const globals = program.opts<GlobalOptions>();
      const specFile = resolve(globals.spec);
      // The spec only names models; without one the database is described alone.
      const spec = existsSync(specFile) ? (await loadSpec(specFile)).spec : undefined;
      await withDatabase(
        globals,
        'timescale-info',
        out,
        async (db) => {
          const client = await connect(db.url);
          try {
            const info = await timescaleInfo(client, spec, { embedded: db.embedded });
            out.line(formatTimescaleInfo(info));
            out.result(info);
          } finally {
            await client.end();
          }
        },
        true,
      );
    });

  program
    .command('jobs')
    .description('policy jobs')
    .command('run')
    .description('run the compression and retention jobs now (all, or those of --table)')
    .option('--table <table>', 'only this hypertable')
    .action(async (opts: { table?: string }) => {
      const globals = program.opts<GlobalOptions>();
      await withDatabase(globals, 'jobs run', out, async (db) => {
        const client = await connect(db.url);
        try {
          const progress = startProgress(process.stderr, !out.json);
          let runs;
          try {
            runs = await runPolicyJobs(client, {
              table: opts.table,
              onJobStart: (job) => progress.update(`job ${job.jobId}: ${job.kind} of ${job.table}`),
            });
          } finally {
            progress.stop();
          }
          if (runs.length === 0) out.line('No compression or retention jobs.');
          for (const r of runs) {
            out.line(
              `${r.ok ? 'ran   ' : 'FAILED'} job ${r.jobId} (${r.kind} of ${r.table}) in ${r.ms} ms${r.error ? `: ${r.error}` : ''}`,
            );
          }
          out.result({ runs });
          const failed = runs.filter((r) => !r.ok).length;
          if (failed > 0) throw new DatabaseError(`${failed} job(s) failed`);
        } finally {
          await client.end();
        }
      });
    });

  program
    .command('serve')
    .description('the REST API for every timeseries model of the spec, until Ctrl-C')
    .option('--port <port>', 'port', port, 3000)
    .option('--host <host>', 'host (0.0.0.0: all IPv4 interfaces)', '127.0.0.1')
    .option(
      '--statement-timeout <ms>',
      'cancel a query after this many milliseconds (503; servers only)',
      positiveCount,
      30_000,
    )
    .option(
      '--sessions <n>',
      `database sessions on a server (default ${DEFAULT_API_SESSIONS}; the embedded database serves one)`,
      positiveCount,
    )
    .option(
      '--queue-limit <n>',
      'requests that may wait for a database session; beyond that 503 with Retry-After',
      count,
      DEFAULT_MAX_QUEUED,
    )
    .option(
      '--queue-timeout <ms>',
      'longest wait for a database session, then 503 with Retry-After',
      positiveCount,
      DEFAULT_MAX_WAIT_MS,
    )
    .option(
      '--health-timeout <ms>',
      'how long /health waits for the database before it reports "timeout"',
      positiveCount,
      DEFAULT_HEALTH_TIMEOUT_MS,
    )
    .option('--health-requires-token', '/health requires PRISM_API_TOKEN too (default: public)')
    .action(
      async (opts: {
        port: number;
        host: string;
        statementTimeout: number;
        sessions?: number;
        queueLimit: number;
        queueTimeout: number;
        healthTimeout: number;
        healthRequiresToken?: boolean;
      }) => {
        const globals = program.opts<GlobalOptions>();
        const loaded = await loadSpec(resolve(globals.spec));
        const token = process.env['PRISM_API_TOKEN'];
        if (token !== undefined) checkToken(token);
        if (!isLoopback(opts.host) && token === undefined) {
          throw new UsageError(`serving on ${opts.host} needs a token`, {
            hint: 'set PRISM_API_TOKEN; clients then send Authorization: Bearer <token>',
          });
        }
        if (opts.healthRequiresToken && token === undefined) {
          throw new UsageError('--health-requires-token needs PRISM_API_TOKEN');
        }
        await withDatabase(globals, 'serve', out, async (db) => {
          if (db.embedded && opts.sessions !== undefined && opts.sessions > 1)
            out.info('the embedded database serves one session: --sessions is ignored');
          // Requests wait in the API's bounded queue for one of these sessions (the
          // embedded database serves one); the pool replaces a session the database dropped.
          const pool = new pg.Pool({
            connectionString: db.url,
            max: db.embedded ? 1 : (opts.sessions ?? DEFAULT_API_SESSIONS),
            idleTimeoutMillis: 0,
            // A database that stops answering must not hold a queue slot for the OS's TCP
            // timeout: a connect fails like a wait in the queue would.
            connectionTimeoutMillis: opts.queueTimeout,
            statement_timeout: opts.statementTimeout,
          });
          pool.on('error', () => undefined);
          // On a server, a session apart for /health and for cancelling the statements of
          // clients that left; the embedded database has no second session to give.
          const control = db.embedded
            ? undefined
            : new pg.Pool({
                connectionString: renamedSession(db.url, 'prism-migrate serve (health)'),
                max: 1,
                idleTimeoutMillis: 0,
                connectionTimeoutMillis: 10_000,
                statement_timeout: 10_000,
              });
          control?.on('error', () => undefined);
          try {
            const first = await connect(db.url);
            const { dialect, schema } = await detectDialect(first).finally(() => first.end());
            const app = buildApi({
              spec: loaded.spec,
              client: pool,
              control,
              dialect,
              schema,
              token,
              healthRequiresToken: opts.healthRequiresToken === true,
              maxQueued: opts.queueLimit,
              maxWaitMs: opts.queueTimeout,
              healthTimeoutMs: opts.healthTimeout,
            });
            const address = await app.listen({ port: opts.port, host: opts.host });
            const listening = describeListening(app.addresses());
            out.line(
              `serving ${loaded.spec.models
                .filter((m) => m.timeseries)
                .map(routeOf)
                .join(', ')} (${dialect})`,
            );
            for (const line of listening) out.line(line);
            out.result({ address, addresses: app.addresses(), listening, dialect });
            await new Promise<void>((resolveStop) => {
              onInterrupt = () => {
                out.info('stopping the API…');
                app.close().then(
                  () => resolveStop(),
                  () => resolveStop(),
                );
              };
            });
            onInterrupt = undefined;
          } finally {
            await pool.end();
            await control?.end();
          }
        });
      },
    );

  const embedded = program
    .command('embedded')
    .description('the embedded TimescaleDB in ./.prism/db');
  embedded
    .command('start')
    .description(
      'serve the embedded database for psql, GUI clients and other commands until Ctrl-C',
    )
    .option('--port <port>', 'port', port, DEFAULT_EMBEDDED_PORT)
    .option('--host <host>', 'host', '127.0.0.1')
    .option('--wait-timeout <ms>', 'how long a client waits for the session', positiveCount, 30000)
    .action(async (opts: { port: number; host: string; waitTimeout: number }) => {
      const target = resolveTarget({});
      if (target.kind !== 'embedded') {
        throw new UsageError('DATABASE_URL is set: the embedded database is not used', {
          hint: 'unset DATABASE_URL (or remove it from .env) to serve the embedded database',
        });
      }
      const server = await startEmbeddedServer({
        dataDir: target.dataDir,
        port: opts.port,
        host: opts.host,
        waitTimeoutMs: opts.waitTimeout,
        log: (l) => out.info(l),
      });
      if (!isLoopback(opts.host)) {
        out.info(
          `warning: ${opts.host} is not a loopback address: anyone who can reach this port gets a superuser session without a password`,
        );
      }
      out.line(`embedded TimescaleDB serving ${target.dataDir}`);
      out.line(`  psql ${server.url}`);
      out.line(
        'one client session at a time; other prism-migrate commands connect through this server. Ctrl-C stops it.',
      );
      out.result({ url: server.url, port: server.port, pid: process.pid });
      const stopped = new Promise<void>((resolveStop) => {
        onInterrupt = () => {
          out.info('stopping the embedded database…');
          server.stop().then(resolveStop, resolveStop);
        };
      });
      const failed = await Promise.race([stopped.then(() => undefined), server.failure]);
      onInterrupt = undefined;
      if (failed) {
        throw new DatabaseError(`the embedded database engine stopped: ${failed.message}`, {
          hint: 'start it again; committed rows are kept',
        });
      }
      out.info('stopped; the lock is released');
    });

  embedded
    .command('status')
    .description(
      'whether the embedded database is served, by which pid on which port, and its size',
    )
    .action(() => {
      const target = { dataDir: resolve(EMBEDDED_DIR) };
      const lock = inspectLock(target.dataDir);
      const exists = existsSync(target.dataDir);
      const size = dirSize(target.dataDir);
      const state =
        lock.state === 'owned'
          ? lock.info.port !== null
            ? `running: pid ${lock.info.pid}, postgres://postgres@${lock.info.host ?? '127.0.0.1'}:${lock.info.port}/postgres, since ${lock.info.startedAt}`
            : `in use by pid ${lock.info.pid} (\`${lock.info.command}\`, since ${lock.info.startedAt})`
          : lock.state === 'stale'
            ? `not running (a stale lock from pid ${lock.info?.pid ?? '?'} will be taken over)`
            : 'not running';
      out.line(
        `${target.dataDir}: ${exists ? `${(size / 1024 / 1024).toFixed(1)} MiB` : 'not created yet'}`,
      );
      out.line(state);
      out.result({ dataDir: target.dataDir, exists, sizeBytes: size, lock });
    });

  embedded
    .command('reset')
    .description('delete the embedded database (refused while it is in use)')
    .option('--yes', 'confirm deleting every table and row in ./.prism/db')
    .action((opts: { yes?: boolean }) => {
      const target = { dataDir: resolve(EMBEDDED_DIR) };
      if (!opts.yes) {
        throw new UsageError(`this deletes ${target.dataDir} and all its data`, {
          hint: 'run `prism-migrate embedded reset --yes` to confirm',
        });
      }
      // Held while deleting, so no other process opens the directory half-deleted.
      const lock = acquireLock(target.dataDir, 'embedded reset');
      try {
        rmSync(target.dataDir, { recursive: true, force: true });
      } finally {
        lock.release();
      }
      out.line(`deleted ${target.dataDir}`);
      out.result({ deleted: target.dataDir });
    });

  return program;
}

let pipesGuarded = false;

/**
 * A reader that went away (`prism-migrate status | head -1`) must not crash the command
 * halfway with a stack trace: what it would have printed is dropped. For the process's
 * lifetime: the error can arrive after the command returned.
 */
function ignoreClosedPipes(): void {
  if (pipesGuarded) return;
  pipesGuarded = true;
  const ignore = (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  };
  process.stdout.on('error', ignore);
  process.stderr.on('error', ignore);
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const json = argv.includes('--json');
  const out = createOutput(json);
  const program = buildProgram(out);
  let interrupted = false;
  const interrupt = (signal: NodeJS.Signals) => {
    // A second Ctrl-C does not wait for a clean close.
    if (interrupted) process.exit(130);
    interrupted = true;
    if (onInterrupt) {
      onInterrupt();
      return;
    }
    if (cleanups.size === 0) process.exit(130);
    out.info(`${signal}: closing the database…`);
    void Promise.allSettled([...cleanups].map((c) => c())).then(() => process.exit(130));
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  ignoreClosedPipes();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      )
        return ExitCode.ok;
      return ExitCode.badInput;
    }
    process.stderr.write(`${describeFailure(error)}\n`);
    return error instanceof PrismError ? error.exitCode : ExitCode.database;
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
}
