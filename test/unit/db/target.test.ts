import { userInfo } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { usageError } from '../../helpers/thrown.js';
import type { EnvFile } from '../../../lib/config/env-file.js';
import { parseConfig, type PrismConfig } from '../../../lib/config/file.js';
import { resolveTarget, type DatabaseTarget, type TargetInput } from '../../../lib/db/target.js';
import { checkDatabaseUrl, libpqUrl, redactUrl } from '../../../lib/db/url.js';

const CWD = '/project';
const NO_FILE: EnvFile = { name: '.env', values: {} };

function target(input: TargetInput): DatabaseTarget {
  return resolveTarget({ cwd: CWD, env: {}, envFile: NO_FILE, ...input });
}

function config(settings: object): PrismConfig {
  return parseConfig(settings, 'prism.config.json', CWD);
}

function server(t: DatabaseTarget): { url: string; source: string; origin: string } {
  if (t.kind !== 'server') throw new Error(`expected a server, got ${JSON.stringify(t)}`);
  return { url: t.url, source: t.source, origin: t.origin };
}

/** What pg itself reads from a URL (nothing from the environment: every field is given). */
function pgReads(url: string): Record<string, unknown> {
  const client = new pg.Client({ connectionString: url }) as unknown as {
    connectionParameters: Record<string, unknown>;
  };
  const p = client.connectionParameters;
  return {
    host: p['host'],
    port: p['port'],
    user: p['user'],
    database: p['database'],
    password: p['password'],
  };
}

describe('resolveTarget: which database a command uses', () => {
  const everything: TargetInput = {
    databaseUrl: 'postgres://flag@h/db',
    env: { DATABASE_URL: 'postgres://env@h/db', PGHOST: 'pghost', PGDATABASE: 'pgdb' },
    envFile: { name: '.env', values: { DATABASE_URL: 'postgres://dotenv@h/db' } },
    config: config({ databaseUrl: 'postgres://config@h/db' }),
  };

  it('takes --database-url first', () => {
    expect(server(target(everything))).to.deep.equal({
      url: 'postgres://flag@h/db',
      source: 'flag',
      origin: '--database-url',
    });
  });

  it('then DATABASE_URL from the environment, which wins over .env', () => {
    expect(server(target({ ...everything, databaseUrl: undefined }))).to.deep.include({
      source: 'env',
      origin: 'DATABASE_URL',
      url: 'postgres://env@h/db',
    });
  });

  it('then DATABASE_URL from .env, named as such', () => {
    const t = target({ ...everything, databaseUrl: undefined, env: { PGHOST: 'pghost' } });
    expect(server(t)).to.deep.include({
      source: '.env',
      origin: 'DATABASE_URL from .env',
      url: 'postgres://dotenv@h/db',
    });
  });

  it('then the libpq variables, naming those that are set', () => {
    const t = target({
      env: { PGHOST: 'pghost', PGDATABASE: 'pgdb', PGUSER: 'deployer' },
      config: everything.config,
    });
    expect(server(t)).to.deep.equal({
      url: 'postgres://deployer@pghost:5432/pgdb',
      source: 'libpq',
      origin: 'PGHOST, PGDATABASE, PGUSER',
    });
  });

  it('then "databaseUrl" of the settings file', () => {
    expect(server(target({ config: everything.config }))).to.deep.equal({
      url: 'postgres://config@h/db',
      source: 'config',
      origin: '"databaseUrl" in prism.config.json',
    });
  });

  it('else the embedded database in ./.prism/db', () => {
    expect(target({})).to.deep.equal({
      kind: 'embedded',
      dataDir: join(CWD, '.prism', 'db'),
      refusal: undefined,
    });
  });

  it('refuses a DATABASE_URL set but empty (a secret that did not arrive), in the environment or .env', () => {
    const e = usageError(() =>
      target({
        env: { DATABASE_URL: '' },
        envFile: { name: '.env', values: { DATABASE_URL: 'postgres://dotenv@h/db' } },
      }),
    );
    expect(e.message).to.equal('DATABASE_URL is set but empty');
    expect(e.hint).to.contain('or unset it to use the next place the database is looked for');
    const inFile = usageError(() =>
      target({ envFile: { name: '.env', values: { DATABASE_URL: ' ' } } }),
    );
    expect(inFile.message).to.equal('DATABASE_URL is set but empty in .env');
  });

  it('says a libpq variable came from .env', () => {
    const t = target({ envFile: { name: '.env', values: { PGHOST: 'h', PGUSER: 'u' } } });
    expect(server(t).origin).to.equal('PGHOST, PGUSER (from .env)');
  });

  it('checks the URL it found, naming where it came from', () => {
    const e = usageError(() => target({ env: { DATABASE_URL: 'mysql://root:secret@db/app' } }));
    expect(e.message).to.equal(
      'DATABASE_URL must start with postgres:// or postgresql://, not mysql://: mysql://root:***@db/app',
    );
    const c = usageError(() => target({ config: config({ databaseUrl: 'postgres://h' }) }));
    expect(c.message).to.match(/^"databaseUrl" in prism\.config\.json names no database/);
  });
});

describe('the embedded database where it may not be used', () => {
  const refusal = (input: TargetInput) => {
    const t = target(input);
    if (t.kind !== 'embedded') throw new Error('expected the embedded database');
    return t.refusal;
  };

  it('is refused with NODE_ENV or PRISM_ENV production', () => {
    expect(refusal({ env: { NODE_ENV: 'production' } })).to.equal('NODE_ENV is production');
    expect(refusal({ env: { PRISM_ENV: 'production' } })).to.equal('PRISM_ENV is production');
    expect(refusal({ envFile: { name: '.env', values: { NODE_ENV: 'production' } } })).to.equal(
      'NODE_ENV is production',
    );
    expect(refusal({ env: { NODE_ENV: 'development' } })).to.equal(undefined);
  });

  it('PRISM_ENV stands for "environment" of the settings, and NODE_ENV production wins', () => {
    const production = config({ environment: 'production' });
    expect(refusal({ config: production, env: { PRISM_ENV: 'staging' } })).to.equal(undefined);
    expect(refusal({ config: production, env: { NODE_ENV: 'test' } })).to.equal(
      '"environment" is production in prism.config.json',
    );
    expect(refusal({ env: { PRISM_ENV: 'staging', NODE_ENV: 'production' } })).to.equal(
      'NODE_ENV is production',
    );
  });

  it('is refused by "embedded": false or "environment": "production" in the settings', () => {
    expect(refusal({ config: config({ embedded: false }) })).to.equal(
      '"embedded" is false in prism.config.json',
    );
    expect(refusal({ config: config({ environment: 'production' }) })).to.equal(
      '"environment" is production in prism.config.json',
    );
  });

  it('"embedded": true allows it in production', () => {
    const c = config({ embedded: true });
    expect(refusal({ config: c, env: { NODE_ENV: 'production' } })).to.equal(undefined);
  });

  it('does not matter when a server is named', () => {
    const t = target({ env: { NODE_ENV: 'production', DATABASE_URL: 'postgres://u@h/db' } });
    expect(t.kind).to.equal('server');
  });
});

describe('libpqUrl', () => {
  const from = (env: Record<string, string>) => libpqUrl((name) => env[name]);

  it('composes a URL pg reads as the variables say', () => {
    const url = from({
      PGHOST: 'db.internal',
      PGPORT: '6432',
      PGUSER: 'deploy@er',
      PGPASSWORD: 'p@ss:w/rd',
      PGDATABASE: 'app db',
    });
    expect(pgReads(url)).to.deep.equal({
      host: 'db.internal',
      port: 6432,
      user: 'deploy@er',
      database: 'app db',
      password: 'p@ss:w/rd',
    });
  });

  it("takes the operating system's user when neither PGUSER nor USER says one, as libpq does", () => {
    const url = from({ PGHOST: 'h', PGDATABASE: 'app' });
    expect(pgReads(url)).to.include({ user: userInfo().username, database: 'app' });
  });

  it('takes a PGHOST starting with / as the socket folder', () => {
    const url = from({ PGHOST: '/var/run/postgresql', PGUSER: 'root', PGDATABASE: 'test' });
    expect(url).to.equal('postgres://root@%2Fvar%2Frun%2Fpostgresql:5432/test');
    expect(pgReads(url)).to.deep.include({ host: '/var/run/postgresql', database: 'test' });
    expect(() => checkDatabaseUrl(url, 'PGHOST')).not.to.throw();
  });

  it("uses libpq's defaults: localhost, 5432, the database named after the user", () => {
    expect(from({ PGUSER: 'alice' })).to.equal('postgres://alice@localhost:5432/alice');
    expect(from({ PGDATABASE: 'app', USER: 'bob' })).to.equal('postgres://bob@localhost:5432/app');
  });

  it('prefers PGHOSTADDR, brackets IPv6 and carries the SSL settings', () => {
    const url = from({
      PGHOST: 'name',
      PGHOSTADDR: '::1',
      PGUSER: 'u',
      PGSSLMODE: 'require',
      PGSSLROOTCERT: '/etc/ca.pem',
    });
    expect(url).to.equal('postgres://u@[::1]:5432/u?sslmode=require&sslrootcert=%2Fetc%2Fca.pem');
  });

  it('refuses a bad port and a list of hosts', () => {
    expect(usageError(() => from({ PGPORT: 'abc', PGUSER: 'u' })).message).to.equal(
      'PGPORT must be a port number 1-65535, not "abc"',
    );
    expect(usageError(() => from({ PGHOST: 'a,b', PGUSER: 'u' })).message).to.match(
      /several hosts/,
    );
  });
});

describe('checkDatabaseUrl', () => {
  const refused = (url: string) => usageError(() => checkDatabaseUrl(url, 'DATABASE_URL'));

  it('accepts postgres:// and postgresql:// URLs with a host and a database', () => {
    for (const url of [
      'postgres://u:p@h:5432/db',
      'postgresql://h/db?sslmode=require',
      'postgres:///db?host=/var/run/postgresql',
    ])
      expect(() => checkDatabaseUrl(url, 'DATABASE_URL'), url).not.to.throw();
  });

  it('refuses another scheme, saying which one', () => {
    const e = refused('mysql://root:secret@db:3306/app');
    expect(e.message).to.equal(
      'DATABASE_URL must start with postgres:// or postgresql://, not mysql://: mysql://root:***@db:3306/app',
    );
    expect(e.hint).to.include('postgres://user:password@host:5432/database');
  });

  it('refuses a URL without host or database', () => {
    expect(refused('postgres:///db').message).to.equal(
      'DATABASE_URL names no host: postgres:///db',
    );
    expect(refused('postgres://u:secret@h:5432').message).to.equal(
      'DATABASE_URL names no database: postgres://u:***@h:5432',
    );
    expect(refused('postgres://u@h/').hint).to.match(/add \/<database>/);
  });

  it("takes libpq's socket form with no host, and refuses an unknown sslmode", () => {
    expect(() =>
      checkDatabaseUrl('postgres://root@/test?host=/var/run/postgresql', 'DATABASE_URL'),
    ).not.to.throw();
    expect(refused('postgres://root@/test').message).to.equal(
      'DATABASE_URL is not a valid URL: postgres://root@/test',
    );
    const e = refused('postgres://u:secret@h/db?sslmode=bogus');
    expect(e.message).to.equal(
      'DATABASE_URL has an unknown sslmode "bogus": postgres://u:***@h/db?sslmode=bogus',
    );
    expect(e.hint).to.equal(
      'use one of disable, allow, prefer, require, verify-ca, verify-full, no-verify',
    );
  });

  it('refuses an unparsable URL without showing its password', () => {
    const e = refused('postgres://u:se#cr@t@h:5432/db');
    expect(e.message).to.equal(
      'DATABASE_URL holds an @ or # in its user or password: postgres://***@h:5432/db',
    );
    expect(e.hint).to.match(/percent-encode/);
    expect(refused('postgres://u:p@ss#word@127.0.0.1/db').message).to.equal(
      'DATABASE_URL holds an @ or # in its user or password: postgres://***@127.0.0.1/db',
    );
    expect(refused(' postgres://u@h/db').message).to.equal(
      'DATABASE_URL starts or ends with spaces: " postgres://u@h/db"',
    );
    expect(refused('not a url').message).to.equal('DATABASE_URL is not a valid URL: not a url');
  });
});

describe('redactUrl', () => {
  it('hides the password in the authority and in the parameters', () => {
    expect(redactUrl('postgres://u:secret@h/db')).to.equal('postgres://u:***@h/db');
    expect(redactUrl('postgres://u@h/db?password=secret&sslmode=require')).to.equal(
      'postgres://u@h/db?password=***&sslmode=require',
    );
    expect(redactUrl('postgres://u:a b@h/db?password=x y')).not.to.match(/a b|x y/);
  });
});
