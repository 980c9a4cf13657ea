import { expect } from 'chai';
import pg from 'pg';
import { renamedSession, withApplicationName } from '../../../lib/db/open.js';

/** What `pg` itself reads from the URL. */
function parsed(url: string): Record<string, unknown> {
  const params = new (
    pg as unknown as {
      Client: new (c: { connectionString: string }) => { connectionParameters: object };
    }
  ).Client({ connectionString: url }).connectionParameters;
  return params as Record<string, unknown>;
}

describe('withApplicationName', () => {
  it('adds application_name, which pg then sends', () => {
    const url = withApplicationName('postgres://u:p%40ss@db:5432/app', 'prism-migrate up');
    expect(url).to.equal('postgres://u:p%40ss@db:5432/app?application_name=prism-migrate%20up');
    expect(parsed(url)).to.deep.include({
      application_name: 'prism-migrate up',
      password: 'p@ss',
      database: 'app',
    });
  });

  it('keeps the other parameters of the URL', () => {
    const url = withApplicationName('postgresql://u@db/app?sslmode=disable', 'prism-migrate up');
    expect(url).to.equal(
      'postgresql://u@db/app?sslmode=disable&application_name=prism-migrate%20up',
    );
    expect(parsed(url)).to.deep.include({ application_name: 'prism-migrate up', ssl: false });
  });

  it("never overrides the user's application_name", () => {
    const mine = 'postgres://u@db/app?application_name=nightly-deploy';
    expect(withApplicationName(mine, 'prism-migrate up')).to.equal(mine);
    expect(parsed(withApplicationName(mine, 'prism-migrate up'))).to.deep.include({
      application_name: 'nightly-deploy',
    });
  });

  it('leaves what is not a postgres URL alone', () => {
    expect(withApplicationName('/var/run/postgresql app', 'x')).to.equal('/var/run/postgresql app');
    expect(withApplicationName('socket://u@/var/run/postgresql', 'x')).to.equal(
      'socket://u@/var/run/postgresql',
    );
  });
});

describe('renamedSession', () => {
  it('renames a session this tool named, and keeps a name the user chose', () => {
    const ours = withApplicationName('postgres://u@db/app?sslmode=disable', 'prism-migrate serve');
    expect(parsed(renamedSession(ours, 'prism-migrate serve (health)'))).to.deep.include({
      application_name: 'prism-migrate serve (health)',
      database: 'app',
    });
    const theirs = 'postgres://u@db/app?application_name=billing-api';
    expect(renamedSession(theirs, 'prism-migrate serve (health)')).to.equal(theirs);
  });
});
