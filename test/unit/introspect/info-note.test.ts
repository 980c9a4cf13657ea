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
    schema: installed ? 'public' : null,
    license: installed ? 'timescale' : null,
    features: { hypertables: installed, compression: licensed, policies: licensed },
    serverVersion: '16.4',
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
    expect(timescaleNote(support({ installed: false, available: false }), false)).to.equal(
      'TimescaleDB is not installed (PostgreSQL 16.4): timeseries models are plain tables, and compression and retention policies are skipped under `timescale: auto` (`timescale: require` refuses to migrate).',
    );
    expect(timescaleNote(support({ installed: false, available: true }), false)).to.include(
      '(PostgreSQL 16.4; the extension is available to CREATE EXTENSION)',
    );
  });

  it('says what the Apache-only build leaves out', () => {
    expect(timescaleNote(support({ license: 'apache' }), false)).to.equal(
      'TimescaleDB 2.17.2 runs under the "apache" license: hypertables work, but compression, policies and jobs need the Timescale License build; they are skipped under `timescale: auto`.',
    );
  });
});
