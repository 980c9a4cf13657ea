/** What `serve` says about where it listens: the addresses the socket really has. */
import type { AddressInfo } from 'node:net';

function urlHost(address: string, family: string): string {
  return family === 'IPv6' || address.includes(':') ? `[${address}]` : address;
}

function describeOne(info: AddressInfo): string {
  const url = `http://${urlHost(info.address, info.family)}:${info.port}`;
  if (info.address === '0.0.0.0')
    return `listening on all IPv4 interfaces, port ${info.port} (${url})`;
  if (info.address === '::')
    return `listening on all interfaces (IPv6, and IPv4 where the system maps it), port ${info.port} (${url})`;
  return `listening on ${url}`;
}

/** One line per address, e.g. `listening on all IPv4 interfaces, port 3000 (http://0.0.0.0:3000)`. */
export function describeListening(addresses: readonly (AddressInfo | string)[]): string[] {
  return addresses.map((a) => (typeof a === 'string' ? `listening on ${a}` : describeOne(a)));
}

/** A URL a client on this machine can use, e.g. http://127.0.0.1:3000 for 0.0.0.0. */
export function localUrl(info: AddressInfo): string {
  const address =
    info.address === '0.0.0.0' ? '127.0.0.1' : info.address === '::' ? '::1' : info.address;
  return `http://${urlHost(address, info.family)}:${info.port}`;
}
