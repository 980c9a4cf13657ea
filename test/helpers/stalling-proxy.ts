/**
 * A TCP proxy to a local server that can stop forwarding while keeping every connection
 * open: the server, seen through it, stops answering without closing anything (a hung
 * host, a network partition). `stalled: true` stalls from the start.
 */
import net from 'node:net';

export interface StallingProxy {
  readonly port: number;
  /** From now on nothing is forwarded either way; connections stay open. */
  stall(): void;
  /** Bytes from clients not forwarded since the stall: a statement sent there shows here. */
  held(): number;
  /** Closes every connection and stops listening. */
  close(): Promise<void>;
}

export async function startStallingProxy(
  targetPort: number,
  options: { stalled?: boolean } = {},
): Promise<StallingProxy> {
  let stalled = options.stalled === true;
  let held = 0;
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };
  const server = net.createServer((client) => {
    track(client);
    const upstream = net.connect(targetPort, '127.0.0.1');
    track(upstream);
    client.on('data', (chunk: Buffer) => {
      if (stalled) held += chunk.length;
      else upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!stalled) client.write(chunk);
    });
    // One side closing closes the other, as a real network path would.
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    stall: () => {
      stalled = true;
    },
    held: () => held,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
