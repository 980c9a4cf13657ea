import { expect } from 'chai';
import { isUserNotice } from '../../../lib/db/notices.js';

describe('db/notices', () => {
  it("shows migrations' notices, not the embedded engine's debug messages and bookkeeping", () => {
    expect(
      isUserNotice({ severity: 'NOTICE', message: 'prism: hypertable m skipped: …' }),
    ).to.equal(true);
    expect(isUserNotice({ severity: 'DEBUG1', message: 'EventTriggerInvoke 1' })).to.equal(false);
    expect(
      isUserNotice({ severity: 'NOTICE', message: '# 1743: aborting transaction 742' }),
    ).to.equal(false);
  });
});
