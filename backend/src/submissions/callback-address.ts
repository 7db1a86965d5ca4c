import dns from 'node:dns';
import net from 'node:net';

/**
 * Where a callback may go. A callback URL is chosen by whoever submits, and the server
 * POSTs to it from inside the operator's network: without these rules anyone could make
 * runbox call its cloud's metadata service, a database's admin port or anything else only
 * the host can reach (Judge0's CVE-2024-29021). Refused unless the allowlist
 * (RUNBOX_CALLBACK_ALLOW) names the address, its network or the host name:
 * loopback, private, shared (CGNAT), link-local (where cloud metadata lives), unspecified,
 * multicast, reserved and documentation ranges, the same in IPv6 (ULA, link-local, NAT64
 * and 6to4/Teredo that embed IPv4), IPv4-mapped IPv6 forms of all of them, and known
 * metadata addresses outside those ranges.
 *
 * A name is checked by what it resolves to at delivery (every address it resolves to must
 * be allowed, and the connection goes to a checked address: the check is in the lookup
 * the socket itself uses), and the connected socket's address is checked once more, so a
 * DNS answer that changes between a check and the connection cannot slip through.
 */

const RANGES: [string, number, 'ipv4' | 'ipv6', string][] = [
  ['0.0.0.0', 8, 'ipv4', 'an unspecified ("this network") address'],
  ['127.0.0.0', 8, 'ipv4', 'a loopback address'],
  ['10.0.0.0', 8, 'ipv4', 'a private (RFC 1918) address'],
  ['172.16.0.0', 12, 'ipv4', 'a private (RFC 1918) address'],
  ['192.168.0.0', 16, 'ipv4', 'a private (RFC 1918) address'],
  ['100.64.0.0', 10, 'ipv4', 'a shared (carrier-grade NAT) address'],
  ['169.254.0.0', 16, 'ipv4', 'a link-local address (where cloud metadata services are)'],
  ['192.0.0.0', 24, 'ipv4', 'a reserved address'],
  ['192.0.2.0', 24, 'ipv4', 'a reserved address'],
  ['198.18.0.0', 15, 'ipv4', 'a reserved address'],
  ['198.51.100.0', 24, 'ipv4', 'a reserved address'],
  ['203.0.113.0', 24, 'ipv4', 'a reserved address'],
  ['224.0.0.0', 4, 'ipv4', 'a multicast address'],
  ['240.0.0.0', 4, 'ipv4', 'a reserved address'],
  // Azure's metadata and DNS endpoint is a public address
  ['168.63.129.16', 32, 'ipv4', 'a cloud metadata address'],
  ['::', 128, 'ipv6', 'an unspecified address'],
  ['::1', 128, 'ipv6', 'a loopback address'],
  // IPv4-compatible (deprecated); IPv4-mapped forms are matched by the IPv4 rules above
  ['::', 96, 'ipv6', 'a reserved address'],
  ['64:ff9b::', 96, 'ipv6', 'a NAT64 address (it reaches an IPv4 one)'],
  ['64:ff9b:1::', 48, 'ipv6', 'a NAT64 address (it reaches an IPv4 one)'],
  ['100::', 64, 'ipv6', 'a reserved address'],
  ['2001::', 32, 'ipv6', 'a Teredo address (it embeds an IPv4 one)'],
  ['2001:db8::', 32, 'ipv6', 'a reserved address'],
  ['2002::', 16, 'ipv6', 'a 6to4 address (it embeds an IPv4 one)'],
  ['fc00::', 7, 'ipv6', 'a unique local (private) address'],
  ['fe80::', 10, 'ipv6', 'a link-local address'],
  ['fec0::', 10, 'ipv6', 'a site-local (private) address'],
  ['ff00::', 8, 'ipv6', 'a multicast address'],
];

const refusedRanges = RANGES.map(([address, prefix, family, label]) => {
  const list = new net.BlockList();
  list.addSubnet(address, prefix, family);
  return { list, label };
});

export class CallbackPolicy {
  private readonly allowedAddresses = new net.BlockList();
  private readonly allowedHosts = new Set<string>();

  /** `allow`: IP addresses, CIDRs (`10.1.0.0/16`) and host names callbacks may reach anyway. */
  constructor(allow: readonly string[]) {
    for (const entry of allow) {
      const [address = '', prefix] = entry.split('/');
      const family = net.isIP(address);
      if (family === 0) {
        this.allowedHosts.add(entry.toLowerCase().replace(/\.$/, ''));
        continue;
      }
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (prefix === undefined) this.allowedAddresses.addAddress(address, type);
      else this.allowedAddresses.addSubnet(address, Number(prefix), type);
    }
  }

  /** Why an address may not be called back, or null when it may. */
  refusal(address: string): string | null {
    const family = net.isIP(address);
    if (family === 0) return `${address} is not an IP address`;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (this.allowedAddresses.check(address, type)) return null;
    const hit = refusedRanges.find((r) => r.list.check(address, type));
    return hit ? `${address} is ${hit.label}` : null;
  }

  /** A host name the allowlist names: whatever it resolves to is trusted. */
  allowsHost(hostname: string): boolean {
    return this.allowedHosts.has(hostname.toLowerCase().replace(/\.$/, ''));
  }

  /**
   * What is wrong with a callback URL as written (null: nothing yet; a name is checked when
   * the callback is delivered). Only http and https, no credentials, and an IP literal must
   * be an allowed address. The URL parser has already turned `0x7f.1` and `2130706433` into
   * `127.0.0.1`.
   */
  urlProblem(raw: string): string | null {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return 'must be an absolute http:// or https:// URL';
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return `must be an http:// or https:// URL, not ${url.protocol}`;
    if (url.username || url.password) return 'must not carry a user name or password';
    const literal = ipLiteral(url.hostname);
    if (literal === null || this.allowsHost(url.hostname)) return null;
    const refused = this.refusal(literal);
    return refused ? `may not point to ${refused}; set RUNBOX_CALLBACK_ALLOW to allow it` : null;
  }

  /**
   * A `lookup` for http.request: resolves the name and refuses the connection unless every
   * address it resolves to is allowed, so the socket connects only to a checked address.
   */
  readonly lookup: net.LookupFunction = (hostname, options, callback) => {
    dns.lookup(hostname, { family: options.family, hints: options.hints, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const refused = addresses.map((a) => this.refusal(a.address)).find((r) => r !== null);
      if (refused || addresses.length === 0) {
        const error = new RefusedAddressError(`${hostname} resolves to ${refused ?? 'no address'}`);
        return callback(error, '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/** A callback target the rules refuse: never retried. */
export class RefusedAddressError extends Error {
  readonly code = 'ERUNBOXREFUSED';
}

/** The address a URL's host names literally (IPv6 without its brackets), or null for a name. */
export function ipLiteral(hostname: string): string | null {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return net.isIP(bare) ? bare : null;
}
