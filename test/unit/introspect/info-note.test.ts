/** `timescale.note` for each TimescaleDB state, including those no test machine has. */
import { expect } from 'chai';
import type { TimescaleSupport } from '../../../lib/db/detect.js';
import { EMBEDDED_JOBS_NOTE, timescaleNote } from '../../../lib/introspect/info.js';

function support(overrides: Partial<TimescaleSupport>): TimescaleSupport {
  const installed = overrides.installed ?? true;
  const licensed = installed && (overrides.license ?? 'timescale') === 'timescale';
  return {
    installed,
    version: installed ? '2.17.2' : null,
    available: true,
    availableVersion: '2.17.2',
    availability: installed ? 'installed' : 'creatable',
    schema: installed ? 'public' : null,
    license: installed ? 'timescale' : null,
    features: { hypertables: installed, compression: licensed, policies: licensed },
    serverVersion: '16.4',
    database: 'app',
    user: 'deploy',
    ...overrides,
  };
}

describe('timescaleNote', () => {
  it('is null on a licensed TimescaleDB server', () => {
    expect(timescaleNote(support({}), false)).to.equal(null);
  });

  it('explains the embedded database: jobs only on demand, no job history', () => {
    expect(timescaleNote(support({}), true)).to.equal(EMBEDDED_JOBS_NOTE);
    expect(EMBEDDED_JOBS_NOTE).to.include('`prism-migrate jobs run`');
    expect(EMBEDDED_JOBS_NOTE).to.include('CALL run_job(<id>)');
    expect(EMBEDDED_JOBS_NOTE).to.include('job_stats stays empty');
  });

  it('says what a missing extension means for timeseries models', () => {
    const absent = { installed: false, available: false, availableVersion: null };
    expect(timescaleNote(support({ ...absent, availability: 'unavailable' }), false)).to.equal(
      'TimescaleDB: not on this server (PostgreSQL 16.4); timeseries models are plain tables. Compression and retention policies are skipped under `timescale: auto` (`timescale: require` refuses to migrate).',
    );
  });

  it('says that `up` creates an extension the server has', () => {
    expect(timescaleNote(support({ installed: false }), false)).to.equal(
      'TimescaleDB 2.17.2 is on this server but not yet created in database "app": the first TimescaleDB step of `prism-migrate up` creates it.',
    );
  });

  it('names the setting when the library is not preloaded', () => {
    expect(
      timescaleNote(support({ installed: false, availability: 'not-preloaded' }), false),
    ).to.include('add timescaledb to shared_preload_libraries in postgresql.conf and restart');
  });

  it('names the privilege when this user may not create the extension', () => {
    expect(
      timescaleNote(support({ installed: false, availability: 'no-privilege' }), false),
    ).to.include(
      'user "deploy" may not create the extension in database "app" (it needs CREATE on the database and on schema public, or a superuser to run CREATE EXTENSION timescaledb)',
    );
  });

  it('says what the Apache-only build leaves out', () => {
    expect(timescaleNote(support({ license: 'apache' }), false)).to.equal(
      'TimescaleDB 2.17.2 runs under the "apache" license: hypertables work, but compression, policies and jobs need the Timescale License build; they are skipped under `timescale: auto`.',
    );
  });
});
