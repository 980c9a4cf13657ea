import { expect } from 'chai';
import { QUERY_TIMEOUT_MARGIN_MS, queryTimeoutFor } from '../../../lib/db/pool.js';

describe('db/pool: the client-side query limit', () => {
  it('waits the statement timeout and a margin, and has no limit where the statement has none', () => {
    expect(queryTimeoutFor(30_000)).to.equal(30_000 + QUERY_TIMEOUT_MARGIN_MS);
    expect(queryTimeoutFor(1)).to.equal(1 + QUERY_TIMEOUT_MARGIN_MS);
    // statement_timeout 0 is none: a limit of the margin alone would end every long query.
    expect(queryTimeoutFor(0)).to.equal(undefined);
  });
});
