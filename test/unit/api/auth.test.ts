import { expect } from 'chai';
import { UsageError } from '../../../lib/errors.js';
import { bearerMatcher, checkToken } from '../../../lib/api/auth.js';
import { describeListening, localUrl } from '../../../lib/api/listen.js';
import { createHealthCheck } from '../../../lib/api/health.js';
import { OverloadedError } from '../../../lib/errors.js';

const GOOD = 'a1b2c3d4e5f6g7h8';

describe('API tokens', () => {
  it('refuses blank, short and unsendable tokens with a usage error', () => {
    for (const [token, message] of [
      ['', 'PRISM_API_TOKEN is blank'],
      [' ', 'PRISM_API_TOKEN is blank'],
      ['\t\n                ', 'PRISM_API_TOKEN is blank'],
      ['a', 'has 1 character(s); at least 16 are required'],
      ['a1b2c3d4e5f6g7h', 'has 15 character(s); at least 16 are required'],
      [' a1b2c3d4e5f6g7h8', 'contains spaces'],
      ['a1b2c3d4 e5f6g7h8', 'contains spaces'],
      ['a1b2c3d4e5f6g7h8é', 'outside printable ASCII'],
    ] as const) {
      expect(() => checkToken(token), JSON.stringify(token)).to.throw(UsageError, message);
    }
    expect(() => checkToken(GOOD)).not.to.throw();
    expect(() => bearerMatcher('short')).to.throw(UsageError);
  });

  it('accepts exactly `Bearer <token>`', () => {
    const authorized = bearerMatcher(GOOD);
    expect(authorized(`Bearer ${GOOD}`)).to.equal(true);
    for (const header of [
      undefined,
      '',
      GOOD,
      `bearer ${GOOD}`,
      `Bearer ${GOOD}x`,
      `Bearer ${GOOD.slice(0, -1)}`,
      `Bearer ${GOOD} `,
      `Basic ${GOOD}`,
    ]) {
      expect(authorized(header), JSON.stringify(header)).to.equal(false);
    }
  });
});

describe('describeListening', () => {
  it('says when it listens on all interfaces, with the real port', () => {
    expect(
      describeListening([{ address: '0.0.0.0', family: 'IPv4', port: 3456 }, 'unix:/tmp/x']),
    ).to.deep.equal([
      'listening on all IPv4 interfaces, port 3456 (http://0.0.0.0:3456)',
      'listening on unix:/tmp/x',
    ]);
    expect(describeListening([{ address: '::', family: 'IPv6', port: 80 }])).to.deep.equal([
      'listening on all interfaces (IPv6, and IPv4 where the system maps it), port 80 (http://[::]:80)',
    ]);
    expect(
      describeListening([
        { address: '127.0.0.1', family: 'IPv4', port: 3000 },
        { address: '::1', family: 'IPv6', port: 3000 },
      ]),
    ).to.deep.equal(['listening on http://127.0.0.1:3000', 'listening on http://[::1]:3000']);
    expect(localUrl({ address: '0.0.0.0', family: 'IPv4', port: 9 })).to.equal(
      'http://127.0.0.1:9',
    );
  });
});

describe('createHealthCheck', () => {
  it('reports ok, error, and timeout without waiting for a slow probe', async () => {
    expect(await createHealthCheck(async () => 1, 100)()).to.deep.equal({
      status: 'ok',
      database: 'ok',
    });
    expect(await createHealthCheck(() => Promise.reject(new Error('down')), 100)()).to.deep.equal({
      status: 'unavailable',
      database: 'error',
    });
    const busy = () => Promise.reject(new OverloadedError('waited', { retryAfterSeconds: 1 }));
    expect((await createHealthCheck(busy, 100)()).database).to.equal('timeout');
    let release: () => void = () => undefined;
    let probes = 0;
    const slow = createHealthCheck(() => {
      probes += 1;
      return new Promise<void>((r) => (release = r));
    }, 20);
    const reports = await Promise.all([slow(), slow(), slow()]);
    expect(reports.map((r) => r.database)).to.deep.equal(['timeout', 'timeout', 'timeout']);
    expect(probes, 'concurrent checks share one probe').to.equal(1);
    expect((await slow()).database).to.equal('timeout');
    expect(probes, 'no new probe while one still runs').to.equal(1);
    release();
    await new Promise((r) => setImmediate(r));
    const next = slow();
    release();
    expect((await next).database).to.equal('ok');
    expect(probes).to.equal(2);
  });
});
