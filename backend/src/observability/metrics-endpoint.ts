import { createHash, timingSafeEqual } from 'node:crypto';
import { BlockList, isIPv4 } from 'node:net';
import type { Request, RequestHandler } from 'express';
import { matchBearer } from '../http/api-keys.js';
import { HttpError } from '../http/errors.js';
import { registry } from './metrics.js';

export interface MetricsAccess {
  /** CIDRs whose direct connections may scrape (loopback by default). */
  networks: readonly string[];
  /** A bearer token that may scrape from anywhere; empty: none. */
  token: string;
}

/**
 * GET /metrics in Prometheus' text format. Who may read it: a direct connection from a
 * configured network (RUNBOX_METRICS_NETWORKS, loopback by default), or anyone with the
 * configured bearer token; everyone else gets 403. The address checked is the TCP peer's, never X-Forwarded-For, and a
 * request that came through a proxy (it carries forwarding headers) is never let in by
 * address: nginx on the same host connects from loopback, and a public request it passed
 * on must not count as local. Such requests need the token.
 */
export function metricsEndpoint(access: MetricsAccess): RequestHandler {
  const allowed = allowedNetworks(access.networks);
  return async (req, res) => {
    if (!mayScrape(req, allowed, access.token)) {
      throw new HttpError(403, { error: 'Forbidden', message: 'metrics are served to RUNBOX_METRICS_NETWORKS (loopback by default) or with the RUNBOX_METRICS_TOKEN bearer token' });
    }
    res.set({ 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' }).send(await registry.metrics());
  };
}

export function allowedNetworks(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [address, bits] = cidr.split('/');
    const type = isIPv4(address!) ? 'ipv4' : 'ipv6';
    list.addSubnet(address!, bits === undefined ? (type === 'ipv4' ? 32 : 128) : Number(bits), type);
  }
  return list;
}

const FORWARDING_HEADERS = ['x-forwarded-for', 'x-real-ip', 'forwarded'];
const digest = (s: string) => createHash('sha256').update(s).digest();

function mayScrape(req: Request, allowed: BlockList, token: string): boolean {
  const authorization = req.get('authorization');
  // as on /api: a header in another form is refused, not ignored (the scraper would never learn why)
  const given = authorization === undefined ? undefined : matchBearer(authorization);
  if (authorization !== undefined && given === undefined) {
    throw new HttpError(401, { error: 'Unauthorized', message: 'send the metrics token as "Authorization: Bearer <token>"' }, { 'WWW-Authenticate': 'Bearer' });
  }
  if (token && given !== undefined && timingSafeEqual(digest(given), digest(token))) return true;
  if (FORWARDING_HEADERS.some((h) => req.headers[h] !== undefined)) return false;
  return peerAllowed(req.socket.remoteAddress, allowed);
}

export function peerAllowed(address: string | undefined, allowed: BlockList): boolean {
  if (!address) return false;
  // an IPv4 client of a dual-stack socket shows as ::ffff:a.b.c.d
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (v4) return allowed.check(v4, 'ipv4');
  return allowed.check(address, isIPv4(address) ? 'ipv4' : 'ipv6');
}
