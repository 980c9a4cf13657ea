/** --json documents: formatVersion, one document per command, failures as `error`. */
import { expect } from 'chai';
import { CommanderError } from 'commander';
import { createOutput, FORMAT_VERSION, jsonError } from '../../../lib/cli/output.js';
import {
  AggregateRefreshError,
  CheckFailedError,
  DatabaseError,
  ERROR_CODES,
  SpecError,
  UsageError,
} from '../../../lib/errors.js';
import { DataLossError, MigrationFailedError } from '../../../lib/runner/migrate.js';
import { MigrationLockTimeoutError } from '../../../lib/runner/lock.js';

function capture(json: boolean) {
  const streams = { stdout: '', stderr: '' };
  const out = createOutput(
    json,
    { write: (t: string) => (streams.stdout += t) },
    { write: (t: string) => (streams.stderr += t) },
  );
  return { out, streams };
}

describe('--json output', () => {
  it('writes the result once the command ends, formatVersion first', () => {
    const { out, streams } = capture(true);
    out.line('not in json mode');
    out.info('progress');
    out.result({ file: 'a.ts', size: 10n });
    expect(streams.stdout).to.equal('');
    out.finish();
    expect(streams.stdout).to.equal(
      `${JSON.stringify({ formatVersion: FORMAT_VERSION, file: 'a.ts', size: '10' }, null, 2)}\n`,
    );
    expect(Object.keys(JSON.parse(streams.stdout) as object)[0]).to.equal('formatVersion');
    expect(streams.stderr).to.equal('progress\n');
  });

  it('a failure without a result: only the error on stdout, the readable text on stderr', () => {
    const { out, streams } = capture(true);
    out.finish(new DatabaseError('could not connect', { hint: 'check the URL' }));
    expect(JSON.parse(streams.stdout)).to.deep.equal({
      formatVersion: 1,
      error: {
        code: 'database',
        message: 'could not connect',
        hint: 'check the URL',
        location: null,
        issues: [],
      },
    });
    expect(streams.stderr).to.equal('error: could not connect\n  hint: check the URL\n');
  });

  it('a failure after the result (a failed check): one document with both', () => {
    const { out, streams } = capture(true);
    out.result({ upToDate: false });
    out.finish(new CheckFailedError('1 migration(s) not applied'));
    expect(JSON.parse(streams.stdout)).to.deep.equal({
      formatVersion: 1,
      upToDate: false,
      error: {
        code: 'check-failed',
        message: '1 migration(s) not applied',
        hint: null,
        location: null,
        issues: [],
      },
    });
  });

  it('a flushed result (a server that is ready) is not followed by a second document', () => {
    const { out, streams } = capture(true);
    out.result({ url: 'postgres://x' });
    out.flush();
    const ready = streams.stdout;
    expect(JSON.parse(ready)).to.deep.equal({ formatVersion: 1, url: 'postgres://x' });
    out.finish(new DatabaseError('the engine stopped'));
    expect(streams.stdout).to.equal(ready);
    expect(streams.stderr).to.include('error: the engine stopped');
  });

  it('without --json: lines on stdout, no JSON, the error on stderr', () => {
    const { out, streams } = capture(false);
    out.line('applied 1_init');
    out.result({ migrations: [] });
    out.finish(new UsageError('bad flag'));
    expect(streams.stdout).to.equal('applied 1_init\n');
    expect(streams.stderr).to.equal('error: bad flag\n');
  });

  it("commander's usage errors: code usage, its message without the prefix, nothing more on stderr", () => {
    const { out, streams } = capture(true);
    const error = new CommanderError(
      1,
      'commander.unknownOption',
      "error: unknown option '--frob'",
    );
    out.finish(error);
    expect(JSON.parse(streams.stdout)).to.deep.include({ formatVersion: 1 });
    expect(jsonError(error)).to.deep.include({
      code: 'usage',
      message: "unknown option '--frob'",
      location: null,
    });
    expect(streams.stderr).to.equal('');
  });
});

describe('error codes', () => {
  it('a stable code per kind of failure', () => {
    const codes = [
      new SpecError([{ file: 'p.yaml', line: 1, column: 1, message: 'x' }]),
      new UsageError('x'),
      new DatabaseError('x'),
      new MigrationFailedError('1_init', 'up', new Error('syntax error')),
      new MigrationLockTimeoutError([], 0),
      new CheckFailedError('x'),
      new DataLossError([]),
      new AggregateRefreshError('x'),
      new Error('a bug'),
    ].map((e) => jsonError(e).code);
    expect(codes).to.deep.equal([...ERROR_CODES]);
  });

  it('a throw site may name a narrower code than its class', () => {
    expect(jsonError(new CheckFailedError('refused', { code: 'data-loss' })).code).to.equal(
      'data-loss',
    );
    expect(new CheckFailedError('x').code).to.equal('check-failed');
  });

  it('a spec error: every issue with its place, the first as location', () => {
    const error = new SpecError([
      { file: 'prism.yaml', line: 3, column: 5, message: "unknown key 'feilds'", hint: 'fields?' },
      { file: 'prism.yaml', line: 6, column: 15, message: '"integer" is not a valid type' },
    ]);
    expect(jsonError(error)).to.deep.equal({
      code: 'spec-invalid',
      message: "prism.yaml:3:5: unknown key 'feilds' (and 1 more)",
      hint: 'fields?',
      location: { file: 'prism.yaml', line: 3, column: 5 },
      issues: [
        {
          file: 'prism.yaml',
          line: 3,
          column: 5,
          message: "unknown key 'feilds'",
          hint: 'fields?',
        },
        {
          file: 'prism.yaml',
          line: 6,
          column: 15,
          message: '"integer" is not a valid type',
          hint: null,
        },
      ],
    });
  });

  it('an unexpected error: internal, with the hint to report it', () => {
    expect(jsonError(new TypeError('x is undefined'))).to.deep.include({
      code: 'internal',
      message: 'x is undefined',
      location: null,
    });
    expect(jsonError('thrown text').hint).to.match(/PRISM_DEBUG=1/);
  });
});
