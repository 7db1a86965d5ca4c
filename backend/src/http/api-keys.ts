import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type express from 'express';
import type { Request, Response } from 'express';
import proxyaddr from 'proxy-addr';
import type { Config } from '../config.js';
import { keyIdOf, keyMatches } from '../keys/api-key.js';
import { QuotaExceededError, type Caller, type QuotaPolicy, type Quotas, type RunTicket, type WindowState } from '../keys/quotas.js';
import { CAPPABLE_LIMITS, type LimitMaxima } from '../protocol.js';
import { quotaRefused } from '../observability/metrics.js';
import type { Store } from '../store/store.js';
import { badField, HttpError } from './errors.js';

/**
 * API keys and quotas at the HTTP edge. Who calls (`Authorization: Bearer <key>` or
 * `X-API-Key: <key>`; the admin key; or nobody) is settled for every /api request by
 * `authenticate`; quotas are counted only for requests that start a run, by `admitRun`.
 *
 * A route that starts runs applies it in one line, after validating its body and before
 * running (a refused run counts against nothing; invalid requests cost no quota):
 *
 *     const admitted = await admitRun(deps, req, res, { maxima, requested: body.limits });
 *     let result;
 *     try {
 *       result = await runs.execute(runRequest(body, language, stdin, admitted.maxima));
 *     } finally {
 *       await admitted.finish(result);   // gives the concurrency slot back, records usage
 *     }
 *
 * `admitted.maxima` is `maxima` lowered to the key's caps: run under it, so a limit the
 * request left out defaults to the cap. A request asking for more than a cap is a 403
 * naming the field (`fieldOf` renames fields for another wire format, e.g. Piston's
 * `run_timeout`). Without `maxima` no cap is checked (the judge: a problem sets its limits).
 * `runQuota(deps)` is the same as Express middleware (no caps), for a route whose run
 * holds its slot for as long as its response: it finishes the ticket when the response
 * closes, or earlier through `res.locals.admitted.finish(result)`.
 * Work queued for later (async submissions) can count against the rate and daily quotas
 * without holding a slot while it waits: `admitRun(deps, req, res, { hold: false })`, and
 * several such runs at once, all or none: `{ hold: false, units: n }` (a batch). The
 * submission worker takes the slot when the work starts (`Quotas.admit`, `windows: false`).
 */

export const API_KEY_HEADER = 'X-API-Key';

/** What these functions need of the app's dependencies. */
export interface KeyDeps {
  config: Config;
  store: Store;
  quotas: Quotas;
}

/** A run let in: the limits it may use and the hand-back of its quota. */
export interface AdmittedRun<M extends LimitMaxima | undefined = LimitMaxima> {
  caller: Caller;
  /** the route's maxima lowered to the caller's caps */
  maxima: M;
  finish: RunTicket['finish'];
}

const unauthorized = (message: string) => new HttpError(401, { error: 'Unauthorized', message }, { 'WWW-Authenticate': 'Bearer' });

const digest = (s: string) => createHash('sha256').update(s).digest();

/** How a key may be sent, for the 401 that names them. */
const ACCEPTED_FORMS = `"Authorization: Bearer <key>" or "${API_KEY_HEADER}: <key>"`;

/**
 * The bearer token of an Authorization header (the scheme in any case, RFC 9110 §11.1),
 * null without the header. Any other form (a bare key, Basic, a scheme with nothing after
 * it) is a 401: run under the anonymous quota instead, a misconfigured client would never
 * learn that its key is not being used.
 */
export function bearerToken(authorization: string | undefined): string | null {
  if (authorization === undefined) return null;
  const token = matchBearer(authorization);
  if (token === undefined) throw unauthorized(`the Authorization header must be "Bearer <key>" (send the key as ${ACCEPTED_FORMS})`);
  return token;
}

/** The token of a well-formed `Bearer <token>` header value, else undefined. */
export function matchBearer(authorization: string): string | undefined {
  return /^Bearer +(\S+) *$/i.exec(authorization)?.[1];
}

/** The request's key or token: from Authorization (Bearer) or X-API-Key; both must agree. */
function presentedToken(headers: IncomingHttpHeaders): string | null {
  const bearer = bearerToken(headers.authorization);
  const raw = headers[API_KEY_HEADER.toLowerCase()];
  const header = Array.isArray(raw) ? raw[0] : raw;
  const apiKey = header === undefined ? null : header.trim();
  if (bearer !== null && apiKey !== null && bearer !== apiKey) throw badField(API_KEY_HEADER, 'names another key than the Authorization header: send one key');
  if (apiKey === '') throw badField(API_KEY_HEADER, 'is empty');
  return bearer ?? apiKey;
}

/**
 * Who is calling, from the request's headers and its client address. Unknown or revoked
 * keys are a 401, and so is no key at all when anonymous access is off. Only the key's id
 * (public) ever reaches the store: the secret is checked here against the stored hash.
 */
export async function identify(headers: IncomingHttpHeaders, address: string, deps: KeyDeps): Promise<Caller> {
  const token = presentedToken(headers);
  if (token === null) {
    if (!deps.quotas.anonymousAllowed) throw unauthorized(`an API key is required: send ${ACCEPTED_FORMS}`);
    return { kind: 'anonymous', address };
  }
  const { adminKey } = deps.config;
  if (adminKey && timingSafeEqual(digest(token), digest(adminKey))) return { kind: 'admin' };
  const id = keyIdOf(token);
  const stored = id === null ? null : await deps.store.keys.getKey(id);
  if (!stored || !keyMatches(token, stored.hash)) throw unauthorized('this API key is not known');
  if (stored.revokedAt !== null) throw unauthorized('this API key was revoked');
  const { hash: _hash, ...key } = stored;
  return { kind: 'key', key };
}

/** The client's address, believing X-Forwarded-For only from RUNBOX_TRUST_PROXY (as Express's req.ip). */
export function clientAddress(req: IncomingMessage, config: Config): string {
  return plainAddress(proxyaddr(req, proxyaddr.compile(config.trustProxy)));
}

/** One client, whether it came over IPv4 or as IPv4-mapped IPv6. */
function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/**
 * For every /api request (before the routes): settles who calls, or answers 401. The
 * health check stays open: load balancers and Docker's HEALTHCHECK carry no key.
 */
export function authenticate(deps: KeyDeps): express.RequestHandler {
  const trust = proxyaddr.compile(deps.config.trustProxy);
  return async (req, res, next) => {
    if (req.path === '/health' || adminOnly(req)) return next();
    res.locals.caller = await identify(req.headers, plainAddress(proxyaddr(req, trust)), deps);
    next();
  };
}

/**
 * Routes only the admin key opens answer for themselves, as before keys existed: 403 while
 * the admin API is off, 401 for any other key. No run starts there, so no quota applies.
 */
function adminOnly(req: Request): boolean {
  return req.path.startsWith('/admin/') || (req.method !== 'GET' && req.method !== 'HEAD' && /^\/problems(\/[^/]+)?\/?$/.test(req.path));
}

/** The request's caller: settled by `authenticate`, or now for a router mounted elsewhere. */
export async function callerOf(req: Request, res: Response, deps: KeyDeps): Promise<Caller> {
  return (res.locals.caller as Caller | undefined) ?? (res.locals.caller = await identify(req.headers, clientAddress(req, deps.config), deps));
}

/**
 * `maxima` lowered to the caller's caps; a requested limit above a cap is a 403 naming the
 * field (the server's own maxima are the schema's business: a 400 before this).
 */
export function cappedMaxima(caller: Caller, maxima: LimitMaxima, requested: Partial<LimitMaxima> = {}, fieldOf: (limit: keyof LimitMaxima) => string = (l) => `limits.${l}`): LimitMaxima {
  if (caller.kind !== 'key') return maxima;
  const capped = { ...maxima };
  for (const limit of CAPPABLE_LIMITS) {
    const cap = caller.key.caps[limit];
    if (cap === undefined) continue;
    const asked = requested[limit];
    if (asked !== undefined && asked > cap) {
      throw new HttpError(403, { error: 'Over the API key\'s cap', field: fieldOf(limit), message: `${fieldOf(limit)} must be at most ${cap} for this API key`, cap });
    }
    capped[limit] = Math.min(capped[limit], cap);
  }
  return capped;
}

/**
 * Lets a run in under its caller's caps and quotas, or throws the 401/403/429 to answer.
 * Sets the RateLimit-* headers on `res` when it has them. See the top of this file.
 */
export async function admitRun<M extends LimitMaxima | undefined = undefined>(
  deps: KeyDeps,
  req: Request,
  res: Response,
  run: { maxima?: M; requested?: Partial<LimitMaxima>; fieldOf?: (limit: keyof LimitMaxima) => string; hold?: boolean; units?: number } = {},
): Promise<AdmittedRun<M>> {
  const caller = await callerOf(req, res, deps);
  const maxima = (run.maxima ? cappedMaxima(caller, run.maxima, run.requested, run.fieldOf) : undefined) as M;
  const ticket = await admitCaller(deps, caller, { hold: run.hold, units: run.units });
  res.set(rateLimitHeaders(ticket.policy, ticket.windows));
  return { caller, maxima, finish: ticket.finish };
}

/**
 * Work that waits in a queue (submissions) or keeps something (a snippet): `units` of it
 * counted against the caller's rate and daily quotas, all or none (a refused batch costs
 * nothing); no run slot is held (a queued submission takes its key's when it starts).
 */
export async function countQueuedWork(deps: KeyDeps, req: Request, res: Response, units = 1): Promise<void> {
  const admitted = await admitRun(deps, req, res, { hold: false, units });
  void admitted.finish();
}

/** The quota check alone, for a caller already known (the live socket's upgrade). Throws a 429 HttpError. */
export async function admitCaller(deps: Pick<KeyDeps, 'quotas'>, caller: Caller, options: { hold?: boolean; units?: number } = {}): Promise<RunTicket> {
  try {
    return await deps.quotas.admit(caller, options);
  } catch (err) {
    if (err instanceof QuotaExceededError) {
      quotaRefused(err.quota);
      throw tooManyRuns(err);
    }
    throw err;
  }
}

/** Express middleware: `admitRun` without caps, finished when the response closes. */
export function runQuota(deps: KeyDeps): express.RequestHandler {
  return async (req, res, next) => {
    const admitted = await admitRun(deps, req, res);
    res.locals.admitted = admitted;
    res.on('close', () => void admitted.finish());
    next();
  };
}

/**
 * 429 naming the quota, with Retry-After and RateLimit-* headers that describe the quota
 * that refused: for runs in flight (no time window) a policy of its own, its slots over the
 * time a client is told to wait, named by a comment (draft-07's policy parameters).
 */
function tooManyRuns(err: QuotaExceededError): HttpError {
  const retry = String(err.retryAfterSeconds);
  const policy = err.quota === 'concurrency' ? { 'RateLimit-Policy': `${err.limit};w=${retry};comment="runs in flight"` } : policyHeader(err.policy);
  return new HttpError(
    429,
    { error: 'Too many requests', quota: err.quota, limit: err.limit, retryAfter: err.retryAfterSeconds, message: err.message },
    {
      'Retry-After': retry,
      ...policy,
      'RateLimit-Limit': String(err.limit),
      'RateLimit-Remaining': '0',
      'RateLimit-Reset': retry,
    },
  );
}

/**
 * The quota headers of draft-ietf-httpapi-ratelimit-headers (the draft-07 fields, which
 * most clients read): RateLimit-Policy lists the windows (`60;w=60, 1000;w=86400`), and
 * RateLimit-Limit/-Remaining/-Reset describe the window closest to running out.
 */
export function rateLimitHeaders(policy: QuotaPolicy, windows: WindowState[]): Record<string, string> {
  const tightest = [...windows].sort((a, b) => a.limit - a.used - (b.limit - b.used) || a.resetSeconds - b.resetSeconds)[0];
  if (!tightest) return {};
  return {
    ...policyHeader(policy),
    'RateLimit-Limit': String(tightest.limit),
    'RateLimit-Remaining': String(Math.max(0, tightest.limit - tightest.used)),
    'RateLimit-Reset': String(tightest.resetSeconds),
  };
}

function policyHeader(policy: QuotaPolicy): Record<string, string> {
  const parts = [policy.perMinute !== null ? `${policy.perMinute};w=60` : null, policy.perDay !== null ? `${policy.perDay};w=86400` : null].filter(Boolean);
  return parts.length ? { 'RateLimit-Policy': parts.join(', ') } : {};
}

/** The API key a caller's work belongs to: the key's id, or null (anonymous, or the admin). */
export function ownerOf(caller: Caller): string | null {
  return caller.kind === 'key' ? caller.key.id : null;
}

/**
 * Whether `caller` may see work owned by `owner`: a key's work only by that key and the
 * admin; anonymous work (owner null) by whoever holds its unguessable id.
 */
export function mayRead(caller: Caller, owner: string | null): boolean {
  return owner === null || caller.kind === 'admin' || (caller.kind === 'key' && caller.key.id === owner);
}
