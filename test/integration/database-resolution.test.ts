/**
 * Which database the CLI uses, as users configure it: the production guard, the PG*
 * variables, prism.config.json against flags, .env; and failures told without the
 * driver's internals.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { expect } from 'chai';
import { cleanEnv, runCli, type RunResult } from '../helpers/embedded-process.js';
import { createServerDatabase, tempDir, type TestDatabase } from '../helpers/databases.js';

const NO_STACK = /^\s+at /m;
const INTERNALS = /SASL|SCRAM-SERVER|getaddrinfo|ENOTFOUND|ECONNREFUSED|client password/;

/** A project folder with an empty migrations folder and a valid spec. */
function project(): string {
  const dir = tempDir('prism-resolve-');
  mkdirSync(join(dir, 'migrations'));
  writeFileSync(
    join(dir, 'prism.yaml'),
    'models:\n  - name: Device\n    fields:\n      - name: id\n        type: int\n        primary_key: true\n',
  );
  return dir;
}

function failedReadably(r: RunResult, code: number): void {
  expect(r.code, r.stderr).to.equal(code);
  expect(r.stderr).to.match(/^error: /m);
  expect(r.stderr).to.not.match(NO_STACK);
  expect(r.stderr).to.not.match(INTERNALS);
}

/** The frames of the PostgreSQL protocol the fake servers answer with. */
function frame(type: string, body: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeInt32BE(body.length + 4);
  return Buffer.concat([Buffer.from(type), length, body]);
}
function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}
const ASK_SCRAM = frame('R', Buffer.concat([int32(10), Buffer.from('SCRAM-SHA-256\0\0')]));
const SCRAM_SERVER_FIRST = frame(
  'R',
  Buffer.concat([int32(11), Buffer.from('r=abc,s=c2FsdA==,i=4096')]),
);
const ASK_CLEARTEXT = frame('R', int32(3));
const WRONG_PASSWORD = frame(
  'E',
  Buffer.from('SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed for user "root"\0\0'),
);

/**
 * A server that answers each message of a client with the next of `replies`, and closes
 * the connection after an error as PostgreSQL does.
 */
async function fakeServer(replies: Buffer[]): Promise<{ server: Server; port: number }> {
  const server = createServer((socket: Socket) => {
    let next = 0;
    socket.on('error', () => undefined);
    socket.on('data', () => {
      const reply = replies[next++];
      if (reply?.[0] === 'E'.charCodeAt(0)) socket.end(reply);
      else if (reply) socket.write(reply);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : 0 };
}

describe('which database the CLI uses', function () {
  let dir: string;
  beforeEach(() => {
    dir = project();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('the production guard', () => {
    it('up with NODE_ENV=production and no database exits 2 naming DATABASE_URL, creating nothing', async () => {
      const r = await runCli(dir, ['up'], { env: cleanEnv({ NODE_ENV: 'production' }) });
      failedReadably(r, 2);
      expect(r.stderr).to.include('NODE_ENV is production');
      expect(r.stderr).to.include('DATABASE_URL');
      expect(existsSync(join(dir, '.prism'))).to.equal(false);
    });

    it('"embedded": false in prism.config.json, or NODE_ENV from .env, refuses the same way', async () => {
      writeFileSync(join(dir, 'prism.config.json'), '{ "embedded": false }');
      const off = await runCli(dir, ['status'], { env: cleanEnv() });
      failedReadably(off, 2);
      expect(off.stderr).to.include('"embedded" is false in prism.config.json');
      rmSync(join(dir, 'prism.config.json'));
      writeFileSync(join(dir, '.env'), 'NODE_ENV=production\n');
      const fromFile = await runCli(dir, ['up'], { env: cleanEnv() });
      failedReadably(fromFile, 2);
      expect(fromFile.stderr).to.include('NODE_ENV is production');
      expect(existsSync(join(dir, '.prism'))).to.equal(false);
    });

    it('leaves the commands that need no database alone', async () => {
      const env = cleanEnv({ NODE_ENV: 'production' });
      const validate = await runCli(dir, ['validate'], { env });
      expect(validate.code, validate.stderr).to.equal(0);
      const create = await runCli(dir, ['create', 'first'], { env });
      expect(create.code, create.stderr).to.equal(0);
      const generate = await runCli(dir, ['generate', '--name', 'init'], { env });
      expect(generate.code, generate.stderr).to.equal(0);
      expect(existsSync(join(dir, '.prism'))).to.equal(false);
    });
  });

  describe('URLs refused before connecting', () => {
    it('a mysql:// URL exits 2, its password hidden', async () => {
      const r = await runCli(dir, ['status'], {
        env: cleanEnv({ DATABASE_URL: 'mysql://root:s3cret@db:3306/app' }),
      });
      failedReadably(r, 2);
      expect(r.stderr).to.include(
        'error: DATABASE_URL must start with postgres:// or postgresql://, not mysql://: mysql://root:***@db:3306/app',
      );
      expect(r.stderr).to.not.include('s3cret');
    });

    it('a URL without a database exits 2 saying what to add', async () => {
      const r = await runCli(dir, ['--database-url', 'postgres://root@127.0.0.1:5432', 'up'], {
        env: cleanEnv(),
      });
      failedReadably(r, 2);
      expect(r.stderr).to.include('--database-url names no database');
      expect(r.stderr).to.include('hint: add /<database>');
    });
  });

  describe('connection failures in plain words (exit 3)', () => {
    it('a host that does not exist', async () => {
      const r = await runCli(dir, ['status'], {
        env: cleanEnv({ DATABASE_URL: 'postgres://root:s3cret@prism-no-such-host.invalid/app' }),
      });
      failedReadably(r, 3);
      expect(r.stderr).to.include(
        'error: could not connect to postgres://root:***@prism-no-such-host.invalid/app (DATABASE_URL): host prism-no-such-host.invalid not found',
      );
      expect(r.stderr).to.not.include('s3cret');
    });

    it('a server that asks for a password when none was given', async () => {
      const { server, port } = await fakeServer([ASK_SCRAM, SCRAM_SERVER_FIRST]);
      try {
        const r = await runCli(dir, ['status'], {
          env: cleanEnv({ DATABASE_URL: `postgres://root@127.0.0.1:${port}/app` }),
        });
        failedReadably(r, 3);
        expect(r.stderr).to.include(
          'the server asks for a password and none was given (add it to the URL or PGPASSWORD)',
        );
      } finally {
        server.close();
      }
    });

    it('a wrong password', async () => {
      const { server, port } = await fakeServer([ASK_CLEARTEXT, WRONG_PASSWORD]);
      try {
        const r = await runCli(dir, ['up'], {
          env: cleanEnv({
            PGHOST: '127.0.0.1',
            PGPORT: String(port),
            PGUSER: 'root',
            PGPASSWORD: 'wrong',
          }),
        });
        failedReadably(r, 3);
        expect(r.stderr).to.include(
          `error: could not connect to postgres://root:***@127.0.0.1:${port}/root (PGHOST, PGPORT, PGUSER): the server refused the password: password authentication failed for user "root"`,
        );
        expect(r.stderr).to.not.include('wrong');
      } finally {
        server.close();
      }
    });
  });

  describe('against the PostgreSQL server', () => {
    let db: TestDatabase;
    let name: string;
    before(async () => {
      db = await createServerDatabase('prism_resolve');
      name = new URL(db.url).pathname.slice(1);
    });
    after(async () => {
      await db?.dispose();
    });

    it('status uses the server the PG* variables name', async () => {
      const r = await runCli(dir, ['status'], {
        env: cleanEnv({ PGHOST: '127.0.0.1', PGPORT: '5432', PGUSER: 'root', PGDATABASE: name }),
      });
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.include(`database: postgres://root@127.0.0.1:5432/${name}`);
      expect(existsSync(join(dir, '.prism'))).to.equal(false);
    });

    it('DATABASE_URL beats the PG* variables', async () => {
      const r = await runCli(dir, ['status'], {
        env: cleanEnv({ DATABASE_URL: db.url, PGHOST: 'prism-no-such-host.invalid' }),
      });
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.include(`/${name}`);
    });

    it('DATABASE_URL from .env, named as such when it fails', async () => {
      writeFileSync(join(dir, '.env'), `DATABASE_URL=${db.url}\n`);
      const ok = await runCli(dir, ['status'], { env: cleanEnv() });
      expect(ok.code, ok.stderr).to.equal(0);
      expect(ok.stdout).to.include(`/${name}`);
      writeFileSync(join(dir, '.env'), 'DATABASE_URL=postgres://root@127.0.0.1:1/nowhere\n');
      const failed = await runCli(dir, ['status'], { env: cleanEnv() });
      failedReadably(failed, 3);
      expect(failed.stderr).to.include(
        'could not connect to postgres://root@127.0.0.1:1/nowhere (DATABASE_URL from .env): nothing listens on 127.0.0.1:1',
      );
      writeFileSync(join(dir, 'ci.env'), `DATABASE_URL=${db.url}\n`);
      const chosen = await runCli(dir, ['--env-path', 'ci.env', 'status'], { env: cleanEnv() });
      expect(chosen.code, chosen.stderr).to.equal(0);
    });

    it('prism.config.json gives the database, spec and migrations folder; flags win', async () => {
      mkdirSync(join(dir, 'db'));
      writeFileSync(
        join(dir, 'db', 'models.yaml'),
        'models:\n  - name: Sensor\n    fields:\n      - name: id\n        type: int\n        primary_key: true\n',
      );
      writeFileSync(
        join(dir, 'prism.config.json'),
        JSON.stringify({
          databaseUrl: db.url,
          spec: 'db/models.yaml',
          migrationsDir: 'db/migrations',
        }),
      );
      const validate = await runCli(dir, ['validate'], { env: cleanEnv() });
      expect(validate.code, validate.stderr).to.equal(0);
      expect(validate.stdout).to.include('Sensor -> sensor');
      const byFlag = await runCli(dir, ['--spec', 'prism.yaml', 'validate'], { env: cleanEnv() });
      expect(byFlag.stdout).to.include('Device -> device');

      const generate = await runCli(dir, ['generate', '--name', 'sensors'], { env: cleanEnv() });
      expect(generate.code, generate.stderr).to.equal(0);
      expect(existsSync(join(dir, 'db', 'migrations'))).to.equal(true);
      const up = await runCli(dir, ['up'], { env: cleanEnv() });
      expect(up.code, up.stderr).to.equal(0);
      const status = await runCli(dir, ['status'], { env: cleanEnv() });
      expect(status.stdout).to.include(`/${name}`);
      expect(status.stdout).to.match(/applied\s+\d+_sensors/);

      const flag = await runCli(
        dir,
        ['--database-url', 'postgres://root@127.0.0.1:1/nowhere', 'status'],
        { env: cleanEnv() },
      );
      failedReadably(flag, 3);
      expect(flag.stderr).to.include('(--database-url): nothing listens on 127.0.0.1:1');
      const env = await runCli(dir, ['status'], {
        env: cleanEnv({ DATABASE_URL: 'postgres://root@127.0.0.1:1/nowhere' }),
      });
      expect(env.stderr).to.include('(DATABASE_URL): nothing listens');
    });
  });

  describe('the settings file and options checked', () => {
    it('an unknown key or a wrong type exits 2 naming the file and key', async () => {
      writeFileSync(join(dir, 'prism.config.json'), '{ "databaseURL": "postgres://h/db" }');
      const typo = await runCli(dir, ['status'], { env: cleanEnv() });
      failedReadably(typo, 2);
      expect(typo.stderr).to.include('error: prism.config.json: unknown key "databaseURL"');
      expect(typo.stderr).to.include('did you mean "databaseUrl"?');
      writeFileSync(join(dir, 'package.json'), '{ "prism": { "migrationsTable": 7 } }');
      rmSync(join(dir, 'prism.config.json'));
      const type = await runCli(dir, ['status'], { env: cleanEnv() });
      failedReadably(type, 2);
      expect(type.stderr).to.include(
        'error: package.json ("prism" key): "migrationsTable" must be a non-empty string, not 7',
      );
    });

    it('--migrations-table and --migrations-schema take plain SQL names only', async () => {
      const r = await runCli(dir, ['--migrations-table', 'x"; drop', 'validate'], {
        env: cleanEnv(),
      });
      expect(r.code).to.equal(2);
      expect(r.stderr).to.include(
        "option '--migrations-table <name>' argument 'x\"; drop' is invalid",
      );
      const ok = await runCli(dir, ['--migrations-schema', 'ops', 'validate'], { env: cleanEnv() });
      expect(ok.code, ok.stderr).to.equal(0);
    });

    it('PRISM_API_TOKEN comes from .env too', async () => {
      writeFileSync(join(dir, '.env'), 'PRISM_API_TOKEN=short\n');
      const r = await runCli(dir, ['serve', '--host', '0.0.0.0'], { env: cleanEnv() });
      failedReadably(r, 2);
      expect(r.stderr).to.include('error: PRISM_API_TOKEN has 5 character(s)');
    });
  });
});
