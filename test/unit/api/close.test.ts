/**
 * Closing the API while requests are under way, without a database: fake sessions stand in
 * for pg's, holding a request at a known point.
 */
import { EventEmitter } from 'node:events';
import { expect } from 'chai';
import { ApiSessions } from '../../../lib/api/sessions.js';
import type { Queryable } from '../../../lib/query/repository.js';

/** A promise and the function that settles it. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('ApiSessions on a pool', () => {
  it('takes a checked-out session that loses its connection as broken, not as a crash', async () => {
    // As pg's client does when its connection ends: 'error' on the client, then the
    // statement under way fails.
    const session = Object.assign(new EventEmitter(), {
      released: [] as unknown[],
      query: () => new Promise<never>(() => undefined),
      release(error?: Error) {
        this.released.push(error);
      },
    });
    const pool = { totalCount: 1, options: { max: 1 }, connect: async () => session };
    const sessions = new ApiSessions({ client: pool as unknown as Queryable });
    const lost = new Error('Connection terminated unexpectedly');
    const entered = deferred();
    const failed = sessions
      .use(async () => {
        entered.resolve();
        await new Promise((r) => setImmediate(r));
        throw lost;
      })
      .catch((e: unknown) => e);
    await entered.promise;
    session.emit('error', lost);
    expect(await failed).to.equal(lost);
    expect(session.released, 'released as broken, so that the pool closes it').to.deep.equal([
      lost,
    ]);
    expect(session.listenerCount('error'), 'no listener left on the released session').to.equal(0);
  });
});
