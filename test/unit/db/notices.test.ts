import { expect } from 'chai';
import { isUserNotice, noticeLines } from '../../../lib/db/notices.js';

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

  it('shows a warning as a warning, with its hint on a line of its own', () => {
    expect(noticeLines({ severity: 'NOTICE', message: 'prism: skipped' })).to.deep.equal([
      'notice: prism: skipped',
    ]);
    expect(
      noticeLines({ severity: 'WARNING', message: 'prism: kept', hint: 'ALTER ROLE r LOGIN' }),
    ).to.deep.equal(['warning: prism: kept', '  hint: ALTER ROLE r LOGIN']);
  });
});
