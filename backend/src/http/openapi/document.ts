import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type express from 'express';
import { z } from 'zod';
import { createDocument, type ZodOpenApiComponentsObject, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject, type ZodOpenApiResponseObject } from 'zod-openapi';
import { registeredRoutes } from '../registered-routes.js';
import { errors, routeDoc } from './registry.js';

/** The backend package's version: the API's (backend/package.json from src/ and dist/ alike). */
export const VERSION = (JSON.parse(readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../package.json'), 'utf8')) as { version: string }).version;

const INSTANCE_HEADER = {
  'X-Runbox-Instance': { description: 'Which server answered (RUNBOX_INSTANCE, or main): for operators of a load-balanced deployment', schema: { type: 'string' as const } },
};

/** What runbox is, in one line, naming the languages this server offers (those whose toolchain it found at start). */
export function summary(languages: readonly string[]): string {
  const named = languages.length > 1 ? `${languages.slice(0, -1).join(', ')} and ${languages.at(-1)}` : languages[0];
  const which = named ? ` in ${languages.length} language${languages.length === 1 ? '' : 's'} (${named})` : '';
  return `Run untrusted code${which} in a fresh Linux user per run, inside a bubblewrap allowlist jail with seccomp, namespaces, cgroups and rlimits.`;
}

const DESCRIPTION = (languages: readonly string[]) => `${summary(languages)}

- Errors are JSON (\`Error\`): \`error\`, and \`field\` naming the request field at fault.
- \`503\` (queue full, shutting down) and \`429\` (rate limited, by nginx in front or by the
  server) carry \`Retry-After\` in seconds.
- History: send a random key as \`X-Runbox-Visitor\` (22-128 of A-Z a-z 0-9 - _); runs and
  judge submissions are then kept and answered with \`submissionId\`.
- Live runs are a WebSocket at \`/api/live\` (messages \`LiveClientMessage\` and
  \`LiveServerMessage\`); \`POST /api/execute/stream\` sends the server's half as NDJSON.
- Limits in a request may only lower the server's maxima; this document states the maxima
  of the server that serves it.`;

/**
 * The licence the API is offered under: the repository's own statement. It states none (no
 * LICENSE file, no `license` in package.json, nothing in the README), so nothing is granted,
 * and the document says so, in SPDX's form for a licence of one's own (LicenseRef-).
 */
const LICENSE = {
  name: 'No licence granted (the repository states none): all rights reserved',
  identifier: 'LicenseRef-runbox-no-licence',
};

/**
 * Examples of path parameters, by name (or by path#name where a name means something else
 * there): what Swagger UI's "Try it out" fills in and the code samples use. A route that
 * gives its parameter an example keeps its own.
 */
const PATH_EXAMPLES: Record<string, string> = {
  id: 'Yq3mC0bX9k2LwT7v',
  slug: 'a-plus-b',
  asset: 'swagger-ui.css',
  token: '0f63557e-1b71-4dd5-9340-fc588633ad03',
  // Judge0's language ids are numbers (71 is its Python)
  '/judge0/languages/{id}#id': '71',
};
const pathExample = (openApiPath: string, name: string): string | undefined => PATH_EXAMPLES[`${openApiPath}#${name}`] ?? PATH_EXAMPLES[name];

/** Examples of request headers, by name (a visitor key as a browser makes one: random, 22-128 URL-safe characters). */
const HEADER_EXAMPLES: Record<string, string> = {
  'X-Runbox-Visitor': 'k3Jd9fQ2mZx7LpR4vT8wYb6N',
  Connection: 'Upgrade',
};

export interface DocumentOptions {
  /** Schemas every client should see even when no operation names them (the live-run messages). */
  schemas?: ZodOpenApiComponentsObject['schemas'];
  /** Whether clients without an API key are let in (RUNBOX_ANONYMOUS); true unless said. */
  anonymous?: boolean;
  /** The names of the languages this server offers, for the description (none: the document of no server). */
  languages?: readonly string[];
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
    item[route.method] = completed(doc, route.method, route.path, openApiPath);
  }
  // routes that state no security of their own are behind the API-key check (http/api-keys.ts)
  const keys: Record<string, string[]>[] = [{ apiKey: [] }, { apiKeyHeader: [] }];
  return createDocument(
    {
    openapi: '3.1.0',
    info: { title: 'runbox API', version: VERSION, description: DESCRIPTION(options.languages ?? []), license: LICENSE },
    servers: [{ url: '/', description: 'this server' }],
    tags: [
      { name: 'runs', description: 'Running code: at once, streamed, or live over a WebSocket' },
      { name: 'snippets', description: 'Share links' },
      { name: 'history', description: "A visitor's own submissions, named by the X-Runbox-Visitor key" },
      { name: 'judge', description: 'Problems with hidden tests, and submissions judged against them' },
      { name: 'submissions', description: 'Asynchronous runs: queued at once, read (or waited for) later, or delivered to a callback' },
      { name: 'piston', description: "Piston v2's API, for tools written for Piston: Piston's request and answer shapes, runbox's runs" },
      { name: 'judge0', description: "Judge0 CE 1.13.1's API under /judge0, for apps written for Judge0: its attributes, statuses and errors over runbox's queued submissions" },
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
        judge0AuthToken: { type: 'apiKey', in: 'header', name: 'X-Auth-Token', description: "Judge0's authentication header (/judge0): a runbox API key (X-RapidAPI-Key is read the same way)" },
        judge0AuthUser: { type: 'apiKey', in: 'header', name: 'X-Auth-User', description: "Judge0's authorization header (/judge0): the admin key (RUNBOX_ADMIN_KEY)" },
      },
    },
    },
    { override: additiveAnswers },
  );
}

/**
 * Answers may gain fields (the README promises it, and clients ignore fields they do not
 * know), so no answer's schema closes its objects: zod renders an object as
 * `additionalProperties: false`, which a generated client or a validator would hold against
 * a newer server. Requests stay closed: the server refuses fields it does not know.
 */
function additiveAnswers({ jsonSchema, io }: { jsonSchema: { additionalProperties?: unknown }; io: 'input' | 'output' }): void {
  if (io === 'output' && jsonSchema.additionalProperties === false) delete jsonSchema.additionalProperties;
}

/**
 * The route's own description plus what every operation has: path parameters (with
 * examples), 429/500, the instance header, and a curl command made of its examples.
 */
function completed(doc: ZodOpenApiOperationObject, method: string, expressPath: string, openApiPath: string): ZodOpenApiOperationObject {
  const operation = `${method} ${openApiPath}`;
  const names = [...expressPath.matchAll(/:(\w+)/g)].map((m) => m[1]!);
  const declared = doc.requestParams?.path as z.ZodObject | undefined;
  const pathParams = names.length ? z.object(Object.fromEntries(names.map((n) => [n, withExample((declared?.shape[n] as z.ZodType | undefined) ?? z.string(), pathExample(openApiPath, n))]))) : declared;
  const declaredHeaders = doc.requestParams?.header as z.ZodObject | undefined;
  // a required header's example only: Swagger UI's Try it out sends every example it is given, and
  // an optional visitor key sent so would keep everyone's tried-out runs in one shared history
  const headerParams = declaredHeaders && z.object(Object.fromEntries(Object.entries(declaredHeaders.shape).map(([n, schema]) => [n, withExample(schema as z.ZodType, required(schema as z.ZodType) ? HEADER_EXAMPLES[n] : undefined)])));
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
  const filledPath = openApiPath.replace(/\{(\w+)\}/g, (whole, name: string) => pathExample(openApiPath, name) ?? whole);
  return {
    operationId: generatedOperationId(method, openApiPath),
    ...doc,
    requestParams: { ...doc.requestParams, ...(pathParams ? { path: pathParams } : {}), ...(headerParams ? { header: headerParams } : {}) },
    responses: responses as ZodOpenApiOperationObject['responses'],
    'x-codeSamples': [codeSample(method, filledPath, { ...doc, requestParams: { ...doc.requestParams, ...(headerParams ? { header: headerParams } : {}) } })],
  };
}

const required = (schema: z.ZodType): boolean => !schema.safeParse(undefined).success;

/** A parameter's schema with an example, its own description and other metadata kept. */
function withExample(schema: z.ZodType, example: string | undefined): z.ZodType {
  const meta = z.globalRegistry.get(schema) ?? {};
  return example === undefined || 'example' in meta ? schema : schema.meta({ ...meta, example });
}

/**
 * A command that does what the operation does, made of its examples: curl against a server
 * on localhost:3000, or for a WebSocket (`x-websocket`, whose `example` lists the client's
 * first messages) a few lines of JavaScript (Node 22 and browsers have WebSocket built in).
 */
function codeSample(method: string, path: string, doc: ZodOpenApiOperationObject): { lang: string; label: string; source: string } {
  const websocket = (doc as { 'x-websocket'?: { example?: unknown[] } })['x-websocket'];
  if (!websocket) return { lang: 'curl', label: 'curl', source: curlSample(method, path, doc) };
  const source = [
    `const ws = new WebSocket('ws://localhost:3000${path}');`,
    `ws.onopen = () => { for (const message of ${JSON.stringify(websocket.example ?? [])}) ws.send(JSON.stringify(message)); };`,
    'ws.onmessage = (event) => console.log(event.data);',
  ].join('\n');
  return { lang: 'javascript', label: 'JavaScript', source };
}

/** The operation as a curl command: its path with the parameters' examples, its headers' examples, its JSON body's example. */
function curlSample(method: string, path: string, doc: ZodOpenApiOperationObject): string {
  const lines = [`curl -s${method === 'get' ? '' : ` -X ${method.toUpperCase()}`} 'http://localhost:3000${path}'`];
  const adminOnly = doc.security !== undefined && doc.security.length > 0 && doc.security.every((s) => 'admin' in s);
  if (adminOnly) lines.push('-H "Authorization: Bearer $RUNBOX_ADMIN_KEY"');
  // headers the operation needs (an optional one, such as the visitor key of execute, is left out)
  const headers = doc.requestParams?.header as z.ZodObject | undefined;
  for (const [name, schema] of Object.entries(headers?.shape ?? {}) as [string, z.ZodType][]) {
    const example = (z.globalRegistry.get(schema) as { example?: unknown } | undefined)?.example;
    if (typeof example === 'string' && required(schema)) lines.push(`-H '${name}: ${example}'`);
  }
  const media = (doc.requestBody as { content?: Record<string, { example?: unknown }> } | undefined)?.content?.['application/json'];
  if (media?.example !== undefined) lines.push("-H 'content-type: application/json'", `-d '${JSON.stringify(media.example).replaceAll("'", "'\\''")}'`);
  return lines.join(' \\\n  ');
}

/**
 * The operation id made of the method and path (get /api/snippets/{id} -> getApiSnippetsId),
 * for a route that names none; every route of runbox names its own, readable one
 * (createSubmission), and tests/openapi.test.ts holds new ones to that.
 */
export function generatedOperationId(method: string, openApiPath: string): string {
  const words = `${method} ${openApiPath}`.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return words.map((w, i) => (i === 0 ? w.toLowerCase() : w[0]!.toUpperCase() + w.slice(1))).join('');
}
