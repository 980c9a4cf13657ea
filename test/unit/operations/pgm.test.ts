/**
 * The operations as functions of node-pg-migrate's `pgm`, through its public API only, and
 * the `pgm.<op>` methods kept for migrations written before.
 */
import { expect } from 'chai';
import { MigrationBuilder } from 'node-pg-migrate';
import { createRequire } from 'node:module';
import * as operations from '../../../lib/operations/pgm.js';
import {
  PRISM_OPERATIONS,
  addRetentionPolicy as retentionSql,
} from '../../../lib/operations/sql.js';
import { installLegacyMethods } from '../../../lib/runner/legacy-methods.js';
import { UsageError } from '../../../lib/errors.js';

const db = { query: async () => ({ rows: [] }), select: async () => [] };
const newBuilder = () =>
  new MigrationBuilder(db as never, {}, false, {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
  } as never);

describe('operations on pgm', () => {
  it('node-pg-migrate is within the supported peer range', () => {
    const require = createRequire(import.meta.url);
    const installed = (require('node-pg-migrate/package.json') as { version: string }).version;
    const range = (
      require('../../../../package.json') as { peerDependencies: Record<string, string> }
    ).peerDependencies['node-pg-migrate'];
    expect(range).to.equal('>=9.0.0 <10');
    expect(Number(installed.split('.')[0])).to.equal(9);
  });

  it('exports one function of pgm, with its reverse, for every operation', () => {
    for (const name of Object.keys(PRISM_OPERATIONS)) {
      const fn = (operations as Record<string, unknown>)[name] as operations.PgmOperation<never[]>;
      expect(fn, name).to.be.a('function');
      expect(fn.reverse, `${name}.reverse`).to.be.a('function');
    }
  });

  it('adds the forward SQL through pgm.sql, and the reverse through .reverse', () => {
    const pgm = newBuilder();
    operations.addRetentionPolicy(pgm, 'm', { dropAfter: '1 day' });
    operations.removeRetentionPolicy.reverse(pgm, 'n', { dropAfter: '2 days' });
    expect(pgm.getSqlSteps()).to.deep.equal([
      retentionSql('m', { dropAfter: '1 day' }),
      PRISM_OPERATIONS.removeRetentionPolicy.reverse('n', { dropAfter: '2 days' }),
    ]);
  });

  it('adds every statement of a multi-statement operation, in order', () => {
    const pgm = newBuilder();
    operations.createHypertable.reverse(pgm, 'm', { timeColumn: 't' });
    const expected = PRISM_OPERATIONS.createHypertable.reverse('m', { timeColumn: 't' });
    const statements = typeof expected === 'string' ? [expected] : expected;
    expect(pgm.getSqlSteps().map((s) => s.replace(/;$/, ''))).to.deep.equal(
      statements.map((s) => s.replace(/;$/, '')),
    );
  });

  it('a reverse that needs a value the call lacks says what to pass', () => {
    expect(() => operations.removeRetentionPolicy.reverse(newBuilder(), 'm')).to.throw(
      'Impossible to reverse removeRetentionPolicy()',
    );
  });
});

describe('pgm.<operation> methods for earlier migrations', () => {
  before(() => installLegacyMethods());

  it('exposes every operation as pgm.<op>, adding its SQL through pgm.sql', () => {
    const pgm = newBuilder() as unknown as Record<string, (...args: unknown[]) => void> &
      MigrationBuilder;
    for (const name of Object.keys(PRISM_OPERATIONS)) expect(pgm[name], name).to.be.a('function');
    pgm['addRetentionPolicy']?.('m', { dropAfter: '1 day' });
    expect(pgm.getSqlSteps()).to.deep.equal([retentionSql('m', { dropAfter: '1 day' })]);
  });

  it('in a migration without down, says how to write the down instead of reversing', () => {
    const down = newBuilder().enableReverseMode() as unknown as Record<
      string,
      (...args: unknown[]) => void
    >;
    let thrown: unknown;
    try {
      down['addRetentionPolicy']?.('m', { dropAfter: '1 day' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).to.be.instanceOf(UsageError);
    expect((thrown as UsageError).message).to.equal(
      'pgm.addRetentionPolicy() cannot be reversed in a migration without `down`',
    );
    expect((thrown as UsageError).hint).to.contain('addRetentionPolicy.reverse(pgm');
  });
});
