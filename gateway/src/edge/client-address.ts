import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

/** Proxies whose `X-Forwarded-For` is believed, parsed from `TRUSTED_PROXIES`. */
export interface TrustedProxies {
  /** The entries as given (for logs). */
  entries: string[];
  list: BlockList;
}

/**
 * Parses a comma-separated list of IPs and CIDRs (`10.0.0.0/8, 127.0.0.1, fd00::/8`).
 * Throws with the offending entry named, so a typo fails the start instead of trusting nobody
 * (or everybody) silently.
 */
export function parseTrustedProxies(value: string): TrustedProxies {
  const list = new BlockList();
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const [address = '', prefix, ...rest] = entry.split('/');
    const family = isIP(address);
    if (family === 0 || rest.length > 0) throw new Error(`"${entry}" is not an IP address or CIDR`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) {
      list.addAddress(address, type);
      continue;
    }
    const bits = Number(prefix);
    if (!/^\d{1,3}$/.test(prefix) || bits > (family === 4 ? 32 : 128)) throw new Error(`"${entry}" has an invalid prefix length`);
    list.addSubnet(address, bits, type);
  }
  return { entries, list };
}

/** `::ffff:10.0.0.1` (an IPv4 client on a dual-stack socket) is `10.0.0.1`. */
function unmap(address: string): string {
  const match = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return match ? match[1]! : address;
}

function isTrusted(address: string, proxies: TrustedProxies): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return proxies.list.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** A forwarded hop as proxies write it: `203.0.113.7`, `[2001:db8::1]:4711`, `203.0.113.7:4711`. */
function hopAddress(raw: string): string {
  const hop = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(hop);
  if (bracketed) return unmap(bracketed[1]!);
  const v4WithPort = /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(hop);
  return unmap(v4WithPort ? v4WithPort[1]! : hop);
}

/**
 * The address a request comes from. The socket's peer, unless that peer is a trusted proxy:
 * then `X-Forwarded-For` is read from the right (the hop our own proxies appended) and the
 * first address that is not a trusted proxy is the client. Entries further left were written
 * by the client itself and are never believed; a hop that is not an IP stops the walk at the
 * last trusted proxy.
 */
export function clientAddress(req: IncomingMessage, proxies: TrustedProxies): string {
  let current = unmap(req.socket.remoteAddress ?? '');
  if (proxies.entries.length === 0 || !isTrusted(current, proxies)) return current;
  const header = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').filter((hop) => hop.trim() !== '');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hopAddress(hops[i]!);
    if (isIP(hop) === 0) return current;
    current = hop;
    if (!isTrusted(hop, proxies)) return hop;
  }
  return current;
}

/**
 * The key a client address is counted under. IPv6 clients usually hold a whole /64, so
 * counting single v6 addresses would let one client rotate through limits; v4 is counted as is.
 */
export function addressBucketKey(address: string): string {
  if (isIP(address) !== 6) return address;
  const [head = '', tail = ''] = address.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups]
    : headGroups;
  return `${groups
    .slice(0, 4)
    .map((group) => group.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
