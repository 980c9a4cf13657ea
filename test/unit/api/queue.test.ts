import { expect } from 'chai';
import { OverloadedError } from '../../../lib/errors.js';
import { WorkQueue } from '../../../lib/api/queue.js';

/** A job that runs until `finish()` is called; `started` says whether it began. */
function gate<T = string>(value: T) {
  let finish: () => void = () => undefined;
  const state = { started: false };
  const done = new Promise<void>((resolve) => (finish = resolve));
  const work = async () => {
    state.started = true;
    await done;
    return value;
  };
  return { work, state, finish: () => finish() };
}

const tick = () => new Promise((r) => setImmediate(r));

async function refusal(promise: Promise<unknown>): Promise<OverloadedError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(OverloadedError);
    return error as OverloadedError;
  }
  return expect.fail('the job was not refused');
}

describe('WorkQueue', () => {
  it('runs at most `concurrency` jobs at once and starts waiting ones in order', async () => {
    const q = new WorkQueue({ concurrency: 2, maxQueued: 10, maxWaitMs: 60_000 });
    const jobs = [gate('a'), gate('b'), gate('c'), gate('d')];
    const results = jobs.map((j) => q.run(j.work));
    await tick();
    expect(jobs.map((j) => j.state.started)).to.deep.equal([true, true, false, false]);
    expect(q.stats).to.deep.equal({ running: 2, queued: 2 });
    jobs[1]?.finish();
    await tick();
    expect(jobs.map((j) => j.state.started)).to.deep.equal([true, true, true, false]);
    for (const j of jobs) j.finish();
    expect(await Promise.all(results)).to.deep.equal(['a', 'b', 'c', 'd']);
    expect(q.stats).to.deep.equal({ running: 0, queued: 0 });
  });

  it('refuses a job at once when maxQueued wait, with a Retry-After in seconds', async () => {
    const q = new WorkQueue({ concurrency: 1, maxQueued: 1, maxWaitMs: 2_500 });
    const running = gate('running');
    const waiting = gate('waiting');
    const first = q.run(running.work);
    const second = q.run(waiting.work);
    const third = gate('third');
    const error = await refusal(q.run(third.work));
    expect(error.retryAfterSeconds).to.equal(3);
    expect(error.message).to.include('at capacity');
    expect(third.state.started).to.equal(false);
    running.finish();
    waiting.finish();
    expect(await Promise.all([first, second])).to.deep.equal(['running', 'waiting']);
  });

  it('refuses a job that waited maxWaitMs, and never starts it', async () => {
    const q = new WorkQueue({ concurrency: 1, maxQueued: 5, maxWaitMs: 30 });
    const running = gate('running');
    const late = gate('late');
    const first = q.run(running.work);
    const error = await refusal(q.run(late.work));
    expect(error.message).to.equal('waited 30 ms for a database session');
    expect(q.stats).to.deep.equal({ running: 1, queued: 0 });
    running.finish();
    await first;
    await tick();
    expect(late.state.started).to.equal(false);
  });

  it('drops a waiting job whose signal aborts, and one aborted before it was queued', async () => {
    const q = new WorkQueue({ concurrency: 1, maxQueued: 5, maxWaitMs: 60_000 });
    const running = gate('running');
    const gone = gate('gone');
    const next = gate('next');
    const first = q.run(running.work);
    const controller = new AbortController();
    const dropped = q.run(gone.work, { signal: controller.signal });
    const third = q.run(next.work);
    controller.abort(new Error('client left'));
    let reason: unknown;
    await dropped.catch((e: unknown) => (reason = e));
    expect((reason as Error).message).to.equal('client left');
    expect(q.stats).to.deep.equal({ running: 1, queued: 1 });
    running.finish();
    await first;
    await tick();
    expect(gone.state.started).to.equal(false);
    expect(next.state.started).to.equal(true);
    next.finish();
    await third;
    const already = gate('already');
    const aborted = AbortSignal.abort(new Error('gone before'));
    let early: unknown;
    await q.run(already.work, { signal: aborted }).catch((e: unknown) => (early = e));
    expect((early as Error).message).to.equal('gone before');
    expect(already.state.started).to.equal(false);
  });

  it('puts a priority job ahead of waiting ones, even when the queue is full', async () => {
    const q = new WorkQueue({ concurrency: 1, maxQueued: 1, maxWaitMs: 60_000 });
    const running = gate('running');
    const waiting = gate('waiting');
    const urgent = gate('urgent');
    const order: string[] = [];
    const first = q.run(running.work);
    const second = q.run(waiting.work).then((v) => order.push(v));
    const third = q.run(urgent.work, { priority: true }).then((v) => order.push(v));
    await tick();
    running.finish();
    await first;
    await tick();
    expect(urgent.state.started).to.equal(true);
    expect(waiting.state.started).to.equal(false);
    urgent.finish();
    waiting.finish();
    await Promise.all([second, third]);
    expect(order).to.deep.equal(['urgent', 'waiting']);
  });

  it('gives a priority job its own, shorter wait', async () => {
    const q = new WorkQueue({ concurrency: 1, maxQueued: 1, maxWaitMs: 60_000 });
    const running = gate('running');
    const first = q.run(running.work);
    const error = await refusal(q.run(gate('probe').work, { priority: true, maxWaitMs: 20 }));
    expect(error.message).to.equal('waited 20 ms for a database session');
    running.finish();
    await first;
  });

  it('frees the slot of a job that throws, synchronously or not', async () => {
    const q = new WorkQueue({ concurrency: 1, maxQueued: 1, maxWaitMs: 60_000 });
    let thrown: unknown;
    await q
      .run(() => {
        throw new Error('sync');
      })
      .catch((e: unknown) => (thrown = e));
    expect((thrown as Error).message).to.equal('sync');
    await q.run(() => Promise.reject(new Error('async'))).catch(() => undefined);
    expect(q.stats).to.deep.equal({ running: 0, queued: 0 });
    expect(await q.run(async () => 'ok')).to.equal('ok');
  });

  it('refuses limits that are not whole numbers in range', () => {
    expect(() => new WorkQueue({ concurrency: 0, maxQueued: 1, maxWaitMs: 1 })).to.throw(
      RangeError,
      'concurrency',
    );
    expect(() => new WorkQueue({ concurrency: 1, maxQueued: -1, maxWaitMs: 1 })).to.throw(
      RangeError,
      'maxQueued',
    );
    expect(() => new WorkQueue({ concurrency: 1, maxQueued: 0, maxWaitMs: 0.5 })).to.throw(
      RangeError,
      'maxWaitMs',
    );
  });
});
