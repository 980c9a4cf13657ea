/** Clients that send what PGlite cannot take: the server answers and keeps serving. */
import { connect } from 'node:net';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { openEngine, type EmbeddedEngine } from '../../lib/db/embedded/engine.js';
import { SessionServer } from '../../lib/db/embedded/server.js';
import { tempDir, withClient } from '../helpers/databases.js';

describe('the embedded server facing hostile or unsupported input', function () {
  this.timeout(60_000);
  let engine: EmbeddedEngine;
  let server: SessionServer;
  let url: string;
  let root: string;

  before(async () => {
    root = tempDir();
    engine = await openEngine(join(root, 'db'));
    server = new SessionServer(engine, { port: 0, waitTimeoutMs: 5000 });
    const { port } = await server.start();
    url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    await withClient(url, (c) => c.query('CREATE TABLE cp (id int)'));
  });
  after(async () => {
    await server?.stop();
    await engine?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const alive = () =>
    withClient(url, async (c) => (await c.query('SELECT count(*)::int AS n FROM cp')).rows[0]);

  for (const sql of ['/* c */ COPY cp FROM STDIN', 'SELECT 1; COPY cp FROM STDIN']) {
    it(`refuses ${JSON.stringify(sql)} with an error and stays alive`, async () => {
      await withClient(url, async (c) => {
        let failure: Error | undefined;
        await c.query(sql).catch((e: Error) => (failure = e));
        expect(failure?.message).to.match(/takes COPY … FROM STDIN only as COPY table/);
        expect((await c.query('SELECT 1 AS one')).rows).to.deep.equal([{ one: 1 }]);
      });
      expect(await alive()).to.deep.equal({ n: 0 });
    });
  }

  it('refuses COPY FROM STDIN in the extended protocol and answers the Sync', async () => {
    await withClient(url, async (c) => {
      let failure: Error | undefined;
      await c
        .query({ name: 'copy-in', text: 'COPY cp FROM STDIN' })
        .catch((e: Error) => (failure = e));
      await c
        .query({ text: 'SELECT $1::int AS v', values: [7] })
        .then((r) => expect(r.rows).to.deep.equal([{ v: 7 }]));
      expect(failure?.message).to.match(/COPY … FROM STDIN/);
    });
  });

  it('closes a connection that sends an impossible message length, and serves the next', async () => {
    const socket = connect(Number(new URL(url).port), '127.0.0.1');
    await new Promise<void>((resolveConnect) => socket.once('connect', () => resolveConnect()));
    const startup = Buffer.from(
      '\0\0\0\0\0\x03\0\0user\0postgres\0database\0postgres\0\0',
      'latin1',
    );
    startup.writeInt32BE(startup.length, 0);
    socket.write(startup);
    await new Promise((r) => setTimeout(r, 200));
    const closed = new Promise<string>((resolveClose) => {
      let data = '';
      socket.on('data', (d: Buffer) => (data += d.toString('latin1')));
      socket.on('close', () => resolveClose(data));
    });
    socket.write(Buffer.from([0x51, 0xff, 0xff, 0xff, 0xff]));
    expect(await closed).to.include('invalid message length');
    expect(await alive()).to.deep.equal({ n: 0 });
  });
});
