import { expect } from 'chai';
import pg from 'pg';
import { ConnectionError, describeConnectionFailure, displayUrl } from '../../../lib/db/connect.js';

/** An error as pg raises it when the server refuses. */
function serverError(code: string, message: string): pg.DatabaseError {
  const error = new pg.DatabaseError(message, message.length, 'error');
  error.code = code;
  return error;
}

/** An error as Node's net module raises it. */
function netError(fields: Record<string, unknown>): Error {
  return Object.assign(new Error(String(fields['message'])), fields);
}

/** Driver wording that must never reach the user. */
const INTERNALS = /SASL|SCRAM-SERVER|getaddrinfo|ECONNREFUSED|ENOTFOUND|client password/;

describe('describeConnectionFailure', () => {
  it('a password the server asks for and none was given', () => {
    const f = describeConnectionFailure(
      new Error('SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string'),
    );
    expect(f.reason).to.equal(
      'the server asks for a password and none was given (add it to the URL or PGPASSWORD)',
    );
    expect(f.reason + f.hint).not.to.match(INTERNALS);
  });

  it('a host that does not exist', () => {
    const f = describeConnectionFailure(
      netError({ message: 'getaddrinfo ENOTFOUND base', code: 'ENOTFOUND', hostname: 'base' }),
    );
    expect(f.reason).to.equal('host base not found');
    expect(f.reason + f.hint).not.to.match(INTERNALS);
  });

  it('nothing listening on the port, or on the socket', () => {
    const tcp = describeConnectionFailure(
      netError({
        message: 'connect ECONNREFUSED 127.0.0.1:1',
        code: 'ECONNREFUSED',
        address: '127.0.0.1',
        port: 1,
      }),
    );
    expect(tcp.reason).to.equal('nothing listens on 127.0.0.1:1');
    expect(tcp.reason + tcp.hint).not.to.match(INTERNALS);
    const socket = describeConnectionFailure(
      netError({
        message: 'connect ENOENT /tmp/.s.PGSQL.5432',
        code: 'ENOENT',
        address: '/tmp/.s.PGSQL.5432',
      }),
    );
    expect(socket.reason).to.equal('there is no server socket /tmp/.s.PGSQL.5432');
  });

  it('a certificate file that is missing', () => {
    const f = describeConnectionFailure(
      netError({
        message: "ENOENT: no such file or directory, open '/etc/ca.pem'",
        code: 'ENOENT',
        path: '/etc/ca.pem',
      }),
    );
    expect(f.reason).to.equal('the file /etc/ca.pem does not exist');
    expect(f.hint).to.include('sslrootcert');
  });

  it('a wrong password or an unknown role (28P01, 28000)', () => {
    const password = describeConnectionFailure(
      serverError('28P01', 'password authentication failed for user "root"'),
    );
    expect(password.reason).to.equal(
      'the server refused the password: password authentication failed for user "root"',
    );
    expect(password.hint).to.include('PGPASSWORD');
    const role = describeConnectionFailure(serverError('28000', 'role "nobody" does not exist'));
    expect(role.reason).to.equal('the server refused the login: role "nobody" does not exist');
    expect(role.hint).to.include('create that role');
    const hba = describeConnectionFailure(
      serverError('28000', 'no pg_hba.conf entry for host "10.0.0.7", user "u", database "d"'),
    );
    expect(hba.hint).to.include('pg_hba.conf');
  });

  it('a database that does not exist (3D000), with how to create it', () => {
    const f = describeConnectionFailure(serverError('3D000', 'database "app" does not exist'));
    expect(f.reason).to.equal('database "app" does not exist');
    expect(f.hint).to.match(/createdb|CREATE DATABASE/);
  });

  it("keeps another server error's hint (the embedded server names who holds it)", () => {
    const error = serverError('53300', 'timed out waiting for the embedded database');
    error.hint = 'the session is held by psql';
    expect(describeConnectionFailure(error)).to.deep.equal({
      reason: 'timed out waiting for the embedded database',
      hint: 'the session is held by psql',
    });
  });

  it('an untrusted certificate and a server without SSL', () => {
    expect(
      describeConnectionFailure(
        netError({ message: 'self-signed certificate', code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }),
      ).hint,
    ).to.include('sslrootcert');
    expect(
      describeConnectionFailure(new Error('The server does not support SSL connections')).reason,
    ).to.equal('the server does not accept SSL connections');
  });
});

describe('ConnectionError', () => {
  it('shows the URL without password or added application_name, then names where it came from', () => {
    const error = new ConnectionError(
      'postgres://u:secret@h:5432/db?application_name=prism-migrate%20up',
      { reason: 'host h not found', hint: 'check the host name' },
    );
    expect(error.message).to.equal(
      'could not connect to postgres://u:***@h:5432/db: host h not found',
    );
    const named = error.from('DATABASE_URL from .env');
    expect(named.message).to.equal(
      'could not connect to postgres://u:***@h:5432/db (DATABASE_URL from .env): host h not found',
    );
    expect(named.hint).to.equal('check the host name');
    expect(named.exitCode).to.equal(3);
    expect(named.from('--database-url')).to.equal(named);
  });

  it('displayUrl keeps parameters other than application_name', () => {
    expect(displayUrl('postgres://h/db?application_name=x&sslmode=require')).to.equal(
      'postgres://h/db?sslmode=require',
    );
  });
});
