import type { z } from 'zod';
import type { ZodOpenApiOperationObject, ZodOpenApiResponseObject } from 'zod-openapi';
import { errorSchema } from './schemas.js';

/**
 * How a route joins the OpenAPI document: its file describes it right above it, with the
 * schemas it validates with:
 *
 *   describeRoute(router, 'get', '/snippets/:id', { summary, responses: { 200: json('The snippet', snippetSchema) } });
 *   router.get('/snippets/:id', handler);
 *
 * The document is built by walking the app's routes and looking each one up here (by the
 * router it is on, its method and its path), so a route without a description is caught by
 * the test that every registered route is documented, and a description whose route does
 * not exist by the test that every description is used.
 */

export type RouteDoc = ZodOpenApiOperationObject;

/** A Router, or the app (whose routes are on its own router). */
type RouteOwner = object;

const docs = new WeakMap<object, Map<string, RouteDoc>>();
const key = (method: string, path: string) => `${method.toLowerCase()} ${path}`;

/** The router a route is on: an app's routes live on app.router. */
export function routerOf(owner: RouteOwner): object {
  return 'stack' in owner ? owner : (owner as { router: object }).router;
}

export function describeRoute(owner: RouteOwner, method: 'get' | 'post' | 'put' | 'delete' | 'patch', path: string, doc: RouteDoc): void {
  const router = routerOf(owner);
  let own = docs.get(router);
  if (!own) docs.set(router, (own = new Map()));
  if (own.has(key(method, path))) throw new Error(`${key(method, path)} is described twice`);
  own.set(key(method, path), doc);
}

/** The description of the route `path` (as written on its router) for `method`. */
export function routeDoc(router: object, method: string, path: string): RouteDoc | undefined {
  return docs.get(router)?.get(key(method, path));
}

/** Every description given for routes of `router` (to find ones whose route was never registered). */
export function describedRoutes(router: object): string[] {
  return [...(docs.get(router)?.keys() ?? [])];
}

/* ---- small builders, so route files stay short ---- */

/**
 * A JSON request body. Its `example` is what Swagger UI's "Try it out" starts from and the
 * operation's curl sample sends: a request that works as it is (tests/openapi.test.ts sends
 * them to a real server).
 */
export const jsonBody = (schema: z.ZodType, options: string | { description?: string; example?: unknown } = {}): NonNullable<RouteDoc['requestBody']> => {
  const { description, example } = typeof options === 'string' ? { description: options, example: undefined } : options;
  return {
    required: true,
    ...(description ? { description } : {}),
    content: { 'application/json': { schema, ...(example !== undefined ? { example } : {}) } },
  };
};

export const json = (description: string, schema: z.ZodType, headers?: ZodOpenApiResponseObject['headers']): ZodOpenApiResponseObject => ({
  description,
  content: { 'application/json': { schema } },
  ...(headers ? { headers } : {}),
});

export const noContent = (description: string): ZodOpenApiResponseObject => ({ description });

const retryAfter = {
  'Retry-After': { description: 'Seconds to wait before trying again', schema: { type: 'integer' as const, minimum: 1 } },
};

/**
 * The quota headers (draft-ietf-httpapi-ratelimit-headers, its draft-07 fields): sent on
 * the answers of requests that start a run when the caller has a windowed quota, and on a
 * quota's 429. See http/api-keys.ts.
 */
export const quotaHeaders = {
  'RateLimit-Policy': { description: "The caller's windowed quotas, e.g. `60;w=60, 1000;w=86400` (runs per 60 s, per day)", schema: { type: 'string' as const } },
  'RateLimit-Limit': { description: 'The limit of the window closest to running out', schema: { type: 'integer' as const, minimum: 1 } },
  'RateLimit-Remaining': { description: 'Runs left in that window', schema: { type: 'integer' as const, minimum: 0 } },
  'RateLimit-Reset': { description: 'Seconds until that window ends', schema: { type: 'integer' as const, minimum: 1 } },
};

/** What each error status means on this API; every one is the Error shape. */
const ERROR_MEANING: Record<number, string> = {
  400: 'A field is invalid: `field` names it (unknown fields, a malformed visitor key, an unsupported language, and an X-API-Key header that is empty or names another key than Authorization included)',
  401: 'No API key where one is needed (RUNBOX_ANONYMOUS=false, or the admin key), the key sent is unknown or revoked, or an Authorization header is not `Bearer <key>`',
  403: "Not allowed: the admin API is off, this client may not, or a requested limit is over the API key's cap (`field` names it, `cap` says it)",
  404: 'No such thing',
  409: 'It exists already, or (a callback redelivery) a delivery is under way',
  413: 'Code, stdin or the whole body is over its cap: `field` names it',
  415: 'The body is not UTF-8 JSON (`Content-Type: application/json`)',
  422: 'A problem package breaks the format (`field` names the file, `line` its line) or its accepted solutions are not all accepted (`report`)',
  426: 'A WebSocket endpoint asked without an upgrade',
  429:
    'Too many requests: nginx\'s rate limit in front, or a quota of the API key (or of anonymous clients, per address): `quota` names it ' +
    '(rate, daily, concurrency) and RateLimit-* describe it. Wait `Retry-After` seconds',
  503: 'Busy (the run queue is full) or shutting down: wait `Retry-After` seconds',
};

/** The headers an error status carries: Retry-After (429, 503), and a quota's (429). */
export function errorHeaders(status: number): ZodOpenApiResponseObject['headers'] | undefined {
  if (status === 429) return { ...retryAfter, ...quotaHeaders };
  if (status === 503) return retryAfter;
  return undefined;
}

/** The error answers a route can give, each with its meaning and (429, 503) its Retry-After and quota headers. */
export function errors(...statuses: number[]): Record<`${number}`, ZodOpenApiResponseObject> {
  const out: Record<`${number}`, ZodOpenApiResponseObject> = {};
  for (const status of statuses) {
    const description = ERROR_MEANING[status];
    if (!description) throw new Error(`no documented meaning for error status ${status}`);
    const headers = errorHeaders(status);
    out[`${status}`] = { description, content: { 'application/json': { schema: errorSchema } }, ...(headers ? { headers } : {}) };
  }
  return out;
}
