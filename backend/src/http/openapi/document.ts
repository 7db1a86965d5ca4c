import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type express from 'express';
import { z } from 'zod';
import { createDocument, type ZodOpenApiComponentsObject, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject, type ZodOpenApiResponseObject } from 'zod-openapi';
import { registeredRoutes } from '../registered-routes.js';
import { errors, routeDoc } from './registry.js';

/** The backend package's version: the API's (backend/package.json from src/ and dist/ alike). */
const VERSION = (JSON.parse(readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../package.json'), 'utf8')) as { version: string }).version;

const INSTANCE_HEADER = {
  'X-Runbox-Instance': { description: 'Which server answered (RUNBOX_INSTANCE, or main): for operators of a load-balanced deployment', schema: { type: 'string' as const } },
};

const DESCRIPTION = `Run untrusted JavaScript, Python, C++ and Java in a fresh Linux user per run, inside a
bubblewrap allowlist jail with seccomp, namespaces, cgroups and rlimits.

- Errors are JSON (\`Error\`): \`error\`, and \`field\` naming the request field at fault.
- \`503\` (queue full, shutting down) and \`429\` (rate limited, by nginx in front or by the
  server) carry \`Retry-After\` in seconds.
- History: send a random key as \`X-Runbox-Visitor\` (22-128 of A-Z a-z 0-9 - _); runs and
  judge submissions are then kept and answered with \`submissionId\`.
- Live runs are a WebSocket at \`/api/live\` (messages \`LiveClientMessage\` and
  \`LiveServerMessage\`); \`POST /api/execute/stream\` sends the server's half as NDJSON.
- Limits in a request may only lower the server's maxima; this document states the maxima
  of the server that serves it.`;

export interface DocumentOptions {
  /** Schemas every client should see even when no operation names them (the live-run messages). */
  schemas?: ZodOpenApiComponentsObject['schemas'];
  /** Whether clients without an API key are let in (RUNBOX_ANONYMOUS); true unless said. */
  anonymous?: boolean;
}

/**
 * The OpenAPI 3.1 document of `app`: one operation per documented route the app registers
 * (found by walking its router), from the zod schemas the routes validate with. Every answer
 * also documents X-Runbox-Instance, and every operation 429 (nginx's rate limit) and 500;
 * an operation with no security of its own is behind the API-key check (400, 401 added).
 */
export function buildOpenApiDocument(app: express.Express, options: DocumentOptions = {}): ReturnType<typeof createDocument> {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of registeredRoutes(app)) {
    const doc = routeDoc(route.router, route.method, route.localPath);
    if (!doc) continue; // tests/openapi.test.ts names every route without a description
    const openApiPath = route.path.replace(/:(\w+)/g, '{$1}');
    const item = (paths[openApiPath] ??= {}) as Record<string, ZodOpenApiOperationObject>;
    item[route.method] = completed(doc, route.path, `${route.method} ${openApiPath}`);
  }
  // routes that state no security of their own are behind the API-key check (http/api-keys.ts)
  const keys: Record<string, string[]>[] = [{ apiKey: [] }, { apiKeyHeader: [] }];
  return createDocument({
    openapi: '3.1.0',
    info: { title: 'runbox API', version: VERSION, description: DESCRIPTION },
    servers: [{ url: '/', description: 'this server' }],
    tags: [
      { name: 'runs', description: 'Running code: at once, streamed, or live over a WebSocket' },
      { name: 'snippets', description: 'Share links' },
      { name: 'history', description: "A visitor's own submissions, named by the X-Runbox-Visitor key" },
      { name: 'judge', description: 'Problems with hidden tests, and submissions judged against them' },
      { name: 'submissions', description: 'Asynchronous runs: queued at once, read (or waited for) later, or delivered to a callback' },
      { name: 'piston', description: "Piston v2's API, for tools written for Piston: Piston's request and answer shapes, runbox's runs" },
      { name: 'keys', description: "API keys and their usage: the admin's (RUNBOX_ADMIN_KEY)" },
      { name: 'operations', description: 'Health, metrics and this document' },
    ],
    security: options.anonymous === false ? keys : [{}, ...keys],
    paths,
    components: {
      schemas: options.schemas,
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'An API key (rbx_<id>.<secret>, made by the admin): `Authorization: Bearer <key>`. Its runs count against its own quotas and caps' },
        apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'The same API key in a header of its own (if both are sent, they must be the same key)' },
        admin: { type: 'http', scheme: 'bearer', description: 'RUNBOX_ADMIN_KEY: creating, replacing and deleting problems, and managing API keys. Any route takes it as a caller without quotas' },
        metrics: { type: 'http', scheme: 'bearer', description: 'RUNBOX_METRICS_TOKEN: reading /metrics from an address that is not allowed by itself' },
      },
    },
  });
}

/** The route's own description plus what every operation has: path parameters, 429/500, the instance header. */
function completed(doc: ZodOpenApiOperationObject, expressPath: string, operation: string): ZodOpenApiOperationObject {
  const names = [...expressPath.matchAll(/:(\w+)/g)].map((m) => m[1]!);
  const declared = doc.requestParams?.path as z.ZodObject | undefined;
  const missing = names.filter((n) => !declared?.shape[n]);
  const pathParams = missing.length ? z.object({ ...declared?.shape, ...Object.fromEntries(missing.map((n) => [n, z.string()])) }) : declared;
  const responses: Record<string, ZodOpenApiResponseObject> = {};
  // behind the API-key check (no security of its own): a malformed key header is a 400, an unknown or revoked key a 401
  const keyChecked = doc.security === undefined ? errors(400, 401) : {};
  const all = { ...keyChecked, ...errors(429), 500: { description: 'The server failed (logged); nothing about it is sent' }, ...doc.responses } as Record<string, ZodOpenApiResponseObject>;
  for (const [status, response] of Object.entries(all)) {
    if (status.startsWith('x-')) continue;
    const headers = response.headers as Record<string, unknown> | undefined;
    responses[status] = { ...response, headers: { ...INSTANCE_HEADER, ...headers } as ZodOpenApiResponseObject['headers'] };
  }
  if (!doc.summary) throw new Error(`${operation} has no summary`);
  return {
    operationId: operationId(operation),
    ...doc,
    ...(pathParams ? { requestParams: { ...doc.requestParams, path: pathParams } } : {}),
    responses: responses as ZodOpenApiOperationObject['responses'],
  };
}

/** get /api/snippets/{id} -> getApiSnippetsId: stable, for client generators. */
function operationId(operation: string): string {
  const words = operation.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return words.map((w, i) => (i === 0 ? w.toLowerCase() : w[0]!.toUpperCase() + w.slice(1))).join('');
}
