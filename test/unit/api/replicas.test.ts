import { expect } from 'chai';
import { createHealthCheck, lsnBytes, replicaAddress } from '../../../lib/api/health.js';
import { ReadRouter, replicaFailure, type ReplicaState } from '../../../lib/api/replicas.js';
import { ApiSessions } from '../../../lib/api/sessions.js';
import type { Queryable } from '../../../lib/query/repository.js';
import { OverloadedError } from '../../../lib/errors.js';

describe('replicaFailure', () => {
  it('tries elsewhere what the replica caused, not what the read caused', () => {
    const failure = (e: object) => replicaFailure(Object.assign(new Error('x'), e));
    expect(failure({ code: '57P01' }), 'administrator shutdown').to.equal('down');
    expect(failure({ code: '57P03' }), 'starting up or shutting down').to.equal('down');
    expect(failure({ code: '57P04' }), 'database dropped').to.equal('down');
    expect(failure({ code: '3D000' }), 'no such database').to.equal('down');
    expect(failure({ code: '53300' }), 'too many connections').to.equal('down');
    expect(failure({ code: '53200' }), 'out of memory').to.equal('down');
    expect(failure({ code: '08006' })).to.equal('down');
    expect(failure({ code: 'ECONNREFUSED' })).to.equal('down');
    expect(replicaFailure(new Error('Connection terminated unexpectedly'))).to.equal('down');
    expect(replicaFailure(new Error('Query read timeout')), 'no answer in time').to.equal('down');
    expect(replicaFailure(new Error('Client was closed and is not queryable'))).to.equal('down');
    expect(
      replicaFailure(new OverloadedError('waited 5000 ms', { retryAfterSeconds: 5 })),
      'its own queue',
    ).to.equal('down');
    expect(failure({ code: '40001' }), 'recovery conflict').to.equal('conflict');
    expect(failure({ code: '57014' }), 'statement timeout').to.equal(undefined);
    expect(failure({ code: '22007' }), 'bad input').to.equal(undefined);
    expect(replicaFailure(new Error('parameter start is required'))).to.equal(undefined);
  });
});

const state = (url: string, more: Partial<ReplicaState> = {}): ReplicaState => ({
  url,
  replayLsn: '1/0',
  lagSeconds: 0.5,
  streaming: true,
  behind: false,
  ...more,
});

describe('/health with replicas', () => {
  it('reads WAL positions as bytes', () => {
    expect(lsnBytes('0/3000148')).to.equal(0x3000148n);
    expect(lsnBytes('16/B374D848')).to.equal((0x16n << 32n) + 0xb374d848n);
    expect(lsnBytes('nonsense')).to.equal(undefined);
  });

  it('names a replica by host:port', () => {
    expect(replicaAddress('postgres://u@db2:6432/app')).to.equal('db2:6432');
    expect(replicaAddress('postgres://u@db2/app')).to.equal('db2:5432');
    expect(replicaAddress('postgres://u@[::1]:5434/app')).to.equal('[::1]:5434');
  });

  it('reports each replica with its lag, and stays ok while only a replica fails', async () => {
    const urls = [
      'postgres://u@a/db',
      'postgres://u@b/db',
      'postgres://u@c/db',
      'postgres://u@d/db',
    ];
    const answers: Promise<ReplicaState>[] = [
      Promise.resolve(state(urls[0] as string)),
      Promise.reject(new Error('ECONNREFUSED')),
      new Promise(() => undefined),
      Promise.resolve(state(urls[3] as string, { streaming: false, behind: true, lagSeconds: 9 })),
    ];
    const check = createHealthCheck(async () => ({ walLsn: '1/10' }), 100, {
      urls,
      showUrls: false,
      probe: (i) => answers[i] as Promise<ReplicaState>,
    });
    expect(await check()).to.deep.equal({
      status: 'ok',
      database: 'ok',
      replicas: [
        { address: 'a:5432', status: 'ok', streaming: true, lagBytes: 16, lagSeconds: 0.5 },
        { address: 'b:5432', status: 'down', streaming: null, lagBytes: null, lagSeconds: null },
        { address: 'c:5432', status: 'timeout', streaming: null, lagBytes: null, lagSeconds: null },
        { address: 'd:5432', status: 'behind', streaming: false, lagBytes: 16, lagSeconds: 9 },
      ],
    });
  });

  it('shows the URLs only when /health requires the token', async () => {
    const check = createHealthCheck(async () => ({ walLsn: '1/0' }), 100, {
      urls: ['postgres://u@a:5/db'],
      showUrls: true,
      probe: () => Promise.resolve(state('postgres://u@a:5/db')),
    });
    const [replica] = (await check()).replicas ?? [];
    expect(replica?.url).to.equal('postgres://u@a:5/db');
    expect(replica?.address).to.equal('a:5');
  });

  it('checks the primary again while a replica probe still hangs, sharing that probe', async () => {
    let primaryProbes = 0;
    let replicaProbes = 0;
    const check = createHealthCheck(
      async () => {
        primaryProbes += 1;
        return { walLsn: '1/0' };
      },
      20,
      {
        urls: ['postgres://u@a/db'],
        showUrls: false,
        probe: () => {
          replicaProbes += 1;
          return new Promise(() => undefined);
        },
      },
    );
    const first = await check();
    const second = await check();
    expect(primaryProbes, 'one probe of the primary per check').to.equal(2);
    expect(replicaProbes, 'the hung replica probe is shared').to.equal(1);
    expect(first.database).to.equal('ok');
    expect(second.replicas?.[0]?.status).to.equal('timeout');
  });
});

describe('ReadRouter', () => {
  it('keeps a replica down that a read marked down while a probe of it was in flight', async () => {
    const primaryClient = { name: 'primary' };
    const replicaClient = { name: 'replica' };
    let answerProbe: (value: unknown) => void = () => undefined;
    const control = {
      query: () =>
        new Promise((resolve) => {
          answerProbe = resolve;
        }),
    };
    const router = new ReadRouter({
      primary: new ApiSessions({ client: primaryClient as unknown as Queryable }),
      replicas: [
        {
          url: 'postgres://u@replica/db',
          client: replicaClient as unknown as Queryable,
          control: control as unknown as Queryable,
        },
      ],
    });
    const used: unknown[] = [];
    const read = (session: unknown) => {
      used.push(session);
      if (session === replicaClient)
        return Promise.reject(Object.assign(new Error('shutting down'), { code: '57P01' }));
      return Promise.resolve('ok');
    };
    try {
      const probing = router.probe(0);
      // The read fails on the replica while the probe waits, and is answered by the primary.
      expect(await router.use(read)).to.equal('ok');
      expect(used).to.deep.equal([replicaClient, primaryClient]);
      answerProbe({
        rows: [{ recovery: true, replay_lsn: '0/1', streaming: true, lag_seconds: 0 }],
      });
      await probing;
      // The probe began before the failure: it does not bring the replica back.
      expect(await router.use(read)).to.equal('ok');
      expect(used).to.deep.equal([replicaClient, primaryClient, primaryClient]);
    } finally {
      router.close();
    }
  });
});
