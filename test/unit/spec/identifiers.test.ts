/** Derived names: one rule for every name a spec derives, stable across releases. */
import { expect } from 'chai';
import { defaultIndexName, enumCheckName, primaryKeyName } from '../../../lib/spec/identifiers.js';

describe('derived names', () => {
  it('are the plain name while it fits in 63 bytes', () => {
    expect(defaultIndexName('reading', ['device', 'ts'])).to.equal('reading_device_ts_idx');
    expect(primaryKeyName('reading')).to.equal('reading_pkey');
    expect(enumCheckName('reading', 'status')).to.equal('reading_status_check');
  });

  it('keep a prefix and a hash of the full name past 63 bytes, as migrations already named them', () => {
    // The name existing databases hold: a changed rule would make `check` and later
    // migrations look for another index.
    const name = defaultIndexName('t'.repeat(40), ['c'.repeat(30)]);
    expect(name).to.equal('tttttttttttttttttttttttttttttttttttttttt_ccccccccc_32c8bc26_idx');
    expect(Buffer.byteLength(name)).to.equal(63);
    expect(Buffer.byteLength(primaryKeyName('p'.repeat(70)))).to.be.at.most(63);
    expect(primaryKeyName('p'.repeat(70))).to.match(/^p+_[0-9a-f]{8}_pkey$/);
  });
});
