import { expect } from 'chai';
import { createHealthCheck, lsnBytes } from '../../../lib/api/health.js';
import { replicaFailure } from '../../../lib/api/replicas.js';

describe('replicaFailure', () => {
  it('tries elsewhere what the replica caused, not what the read caused', () => {
    const failure = (e: object) => replicaFailure(Object.assign(new Error('x'), e));
    expect(failure({ code: '57P01' }), 'administrator shutdown').to.equal('down');
    expect(failure({ code: '57P03' }), 'starting up or shutting down').to.equal('down');
    expect(failure({ code: '08006' })).to.equal('down');
    expect(failure({ code: 'ECONNREFUSED' })).to.equal('down');
    expect(replicaFailure(new Error('Connection terminated unexpectedly'))).to.equal('down');
    expect(failure({ code: '40001' }), 'recovery conflict').to.equal('conflict');
    expect(failure({ code: '57014' }), 'statement timeout').to.equal(undefined);
    expect(failure({ code: '22007' }), 'bad input').to.equal(undefined);
    expect(replicaFailure(new Error('parameter start is required'))).to.equal(undefined);
  });
});

describe('/health with replicas', () => {
  it('reads WAL positions as bytes', () => {
    expect(lsnBytes('0/3000148')).to.equal(0x3000148n);
    expect(lsnBytes('16/B374D848')).to.equal((0x16n << 32n) + 0xb374d848n);
    expect(lsnBytes('nonsense')).to.equal(undefined);
  });

  it('reports each replica with its lag, and stays ok while only a replica fails', async () => {
    const check = createHealthCheck(async () => ({ walLsn: '1/10' }), 100, {
      urls: ['postgres://a/db', 'postgres://b/db', 'postgres://c/db'],
      probeAll: () => [
        Promise.resolve({ url: 'postgres://a/db', replayLsn: '1/0', lagSeconds: 0.5 }),
        Promise.reject(new Error('ECONNREFUSED')),
        new Promise(() => undefined),
      ],
    });
    expect(await check()).to.deep.equal({
      status: 'ok',
      database: 'ok',
      replicas: [
        { url: 'postgres://a/db', status: 'ok', lagBytes: 16, lagSeconds: 0.5 },
        { url: 'postgres://b/db', status: 'down', lagBytes: null, lagSeconds: null },
        { url: 'postgres://c/db', status: 'timeout', lagBytes: null, lagSeconds: null },
      ],
    });
  });
});
