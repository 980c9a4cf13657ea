/**
 * Our operations reach `pgm` through MigrationBuilder's prototype and rely on its
 * `_steps` and `_REVERSE_MODE` internals; this fails if node-pg-migrate changes them.
 */
import { expect } from 'chai';
import { MigrationBuilder } from 'node-pg-migrate';
import { createRequire } from 'node:module';
import { registerOperations, PRISM_OPERATIONS } from '../../../lib/operations/register.js';
import { addRetentionPolicy, removeRetentionPolicy } from '../../../lib/operations/index.js';

const db = { query: async () => ({ rows: [] }), select: async () => [] };
const newBuilder = () =>
  new MigrationBuilder(db as never, {}, false, {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
  } as never);

describe('registering operations on MigrationBuilder', () => {
  before(() => registerOperations());

  it('runs against the pinned node-pg-migrate 9.0.0', () => {
    const version = (
      createRequire(import.meta.url)('node-pg-migrate/package.json') as { version: string }
    ).version;
    expect(version).to.equal('9.0.0');
  });

  it('MigrationBuilder still keeps _steps and _REVERSE_MODE as we use them', () => {
    const pgm = newBuilder() as unknown as {
      _steps: unknown;
      _REVERSE_MODE: unknown;
      enableReverseMode(): void;
      sql(s: string): void;
    };
    expect(pgm._steps).to.deep.equal([]);
    expect(pgm._REVERSE_MODE).to.equal(false);
    pgm.sql('SELECT 1');
    expect(pgm._steps).to.deep.equal(['SELECT 1;']);
    pgm.enableReverseMode();
    expect(pgm._REVERSE_MODE).to.equal(true);
  });

  it('exposes every operation as pgm.<op>', () => {
    const pgm = newBuilder() as unknown as Record<string, unknown>;
    for (const name of Object.keys(PRISM_OPERATIONS)) expect(pgm[name], name).to.be.a('function');
  });

  it('appends the forward SQL, and the reverse SQL in reverse mode, in reverse order', () => {
    const pgm = newBuilder();
    pgm.addRetentionPolicy('m', { dropAfter: '1 day' });
    expect(pgm.getSqlSteps()).to.deep.equal([addRetentionPolicy('m', { dropAfter: '1 day' })]);
    const down = newBuilder().enableReverseMode();
    expect(() => down.sql('SELECT 1')).to.throw('Impossible to automatically infer down migration');
  });

  it('in reverse mode runs the reverses newest first', () => {
    const down = newBuilder().enableReverseMode();
    down.addRetentionPolicy('m', { dropAfter: '1 day' });
    down.removeRetentionPolicy('n', { dropAfter: '2 days' });
    expect(down.getSqlSteps()).to.deep.equal([
      removeRetentionPolicy.reverse('n', { dropAfter: '2 days' }),
      addRetentionPolicy.reverse('m', { dropAfter: '1 day' }),
    ]);
  });

  it('a remove without the previous value cannot be reversed, and says why', () => {
    const down = newBuilder().enableReverseMode();
    expect(() => down.removeRetentionPolicy('m')).to.throw(
      'Impossible to reverse pgm.removeRetentionPolicy()',
    );
  });
});
