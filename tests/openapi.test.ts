import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type express from 'express';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';
import { default as expressApp, Router as expressRouter } from 'express';
import { buildOpenApiDocument } from '../backend/src/http/openapi/document.js';
import { describedRoutes, describeRoute } from '../backend/src/http/openapi/registry.js';
import { registeredRouters, registeredRoutes } from '../backend/src/http/registered-routes.js';
import { LiveClient } from './helpers/live.js';
import { startNginx, type TestNginx } from './helpers/nginx.js';
import { useRunbox, type HttpReply } from './helpers/runbox.js';

/**
 * The OpenAPI document a real server serves: valid, complete (every route the Express app
 * registers, found by walking its router) and true (real answers of real runs match the
 * schemas it states). Then its docs page in a real Chromium, and /metrics behind the real
 * public nginx server.
 */
const ADMIN_KEY = 'openapi-test-admin-key-0123456789';
const server = useRunbox({ RUNBOX_ADMIN_KEY: ADMIN_KEY, RUNBOX_USER_POOL: '2' });

type Json = Record<string, any>;
let doc: Json;
const ajv = new Ajv2020({ strict: false, allErrors: true });

beforeAll(async () => {
  const reply = await server().request('GET', '/api/openapi.json');
  expect(reply.status).toBe(200);
  doc = reply.json;
});

const appOf = (): express.Express => server().server.listeners('request')[0] as express.Express;
const toOpenApi = (expressPath: string) => expressPath.replace(/:(\w+)/g, '{$1}');

/** Checks a real answer against what the document says `method template` answers with that status. */
function conforms(method: string, template: string, reply: Pick<HttpReply, 'status' | 'headers' | 'json'>): void {
  const operation = doc.paths[template]?.[method.toLowerCase()];
  expect({ operation: `${method} ${template}`, documented: Boolean(operation) }).toEqual({ operation: `${method} ${template}`, documented: true });
  const response = operation.responses[String(reply.status)];
  expect({ operation: `${method} ${template}`, status: reply.status, documented: Boolean(response) }).toEqual({ operation: `${method} ${template}`, status: reply.status, documented: true });
  for (const header of ['X-Runbox-Instance', 'Retry-After', 'Location']) {
    if (response.headers?.[header]) expect({ header, sent: reply.headers.get(header) !== null }).toEqual({ header, sent: true });
  }
  // headers runbox itself sets are documented where they are sent
  for (const header of ['retry-after', 'location']) {
    if (reply.headers.get(header) !== null) expect(Object.keys(response.headers ?? {}).map((h) => h.toLowerCase())).toContain(header);
  }
  if (!response.content) return;
  const mediaType = (reply.headers.get('content-type') ?? '').split(';')[0]!.trim();
  const content = Object.entries(response.content as Record<string, { schema: Json }>).find(([type]) => type.split(';')[0]!.trim() === mediaType);
  expect({ mediaType, documented: Boolean(content) }).toEqual({ mediaType, documented: true });
  if (mediaType !== 'application/json') return;
  matchesSchema(content![1].schema, reply.json, `${method} ${template} ${reply.status}`);
}

/** A value against a schema of the document (its $refs resolve into the document's components). */
function matchesSchema(schema: Json, value: unknown, what: string): void {
  const validate = ajv.compile({ ...schema, components: doc.components });
  const ok = validate(value);
  expect({ what, errors: ok ? null : validate.errors }).toEqual({ what, errors: null });
}

const component = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });

describe('the document', () => {
  test('is valid OpenAPI 3.1 (checked against the official schema)', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc as never);
    expect(result).toEqual({ valid: true });
  });

  test('has every route the Express app registers, and no operation that is not one', () => {
    const routes = registeredRoutes(appOf());
    expect(routes.length).toBeGreaterThan(15);
    const registered = routes.map((r) => `${r.method} ${toOpenApi(r.path)}`).sort();
    const documented = Object.entries(doc.paths as Record<string, Json>)
      .flatMap(([p, item]) => Object.keys(item).filter((k) => ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'].includes(k)).map((m) => `${m} ${p}`))
      .sort();
    expect(documented).toEqual(registered);
  });

  test('a route added without a description is found, however deep its router is mounted', () => {
    // what a new module's routes look like at merge time: a router of their own, under a prefix
    const app = expressApp();
    const v2 = expressRouter();
    describeRoute(v2, 'post', '/execute', { summary: 'described', responses: { 200: { description: 'ok' } } });
    v2.post('/execute', (_req, res) => void res.end());
    v2.get('/runtimes', (_req, res) => void res.end());
    const outer = expressRouter();
    outer.use('/v2', v2);
    app.use('/api', outer);
    expect(registeredRoutes(app).map((r) => `${r.method} ${r.path}`)).toEqual(['post /api/v2/execute', 'get /api/v2/runtimes']);
    const built = buildOpenApiDocument(app);
    expect(Object.keys(built.paths ?? {})).toEqual(['/api/v2/execute']);
  });

  test('describes no route that is not registered (a typo in a described path would hide the real route)', () => {
    const app = appOf();
    const routes = registeredRoutes(app);
    for (const router of registeredRouters(app)) {
      const own = new Set(routes.filter((r) => r.router === router).map((r) => `${r.method} ${r.localPath}`));
      for (const described of describedRoutes(router)) expect({ described, registered: own.has(described) }).toEqual({ described, registered: true });
    }
  });

  test("states this server's own maxima and every error status with the Error shape", () => {
    const execute = doc.paths['/api/execute'].post;
    const limits = execute.requestBody.content['application/json'].schema.properties.limits.properties;
    expect(limits.timeMs.maximum).toBe(server().config.runTimeMs);
    expect(limits.memoryMb.maximum).toBe(server().config.runMemoryMb);
    expect(execute.parameters.map((p: Json) => `${p.in} ${p.name}`)).toContain('header X-Runbox-Visitor');
    for (const [p, item] of Object.entries(doc.paths as Record<string, Json>)) {
      for (const [method, op] of Object.entries(item)) {
        expect(op.summary).toBeTruthy();
        expect(op.responses['429'].headers['Retry-After']).toBeTruthy();
        for (const [status, response] of Object.entries(op.responses as Record<string, Json>)) {
          // a health check that says "shutting down" is the health body itself, with 503 for load balancers
          if (p === '/api/health' && status === '503') {
            expect(response.content['application/json'].schema).toEqual(component('Health'));
            continue;
          }
          if (Number(status) >= 400 && status !== '500') expect({ at: `${method} ${p} ${status}`, schema: response.content['application/json'].schema }).toEqual({ at: `${method} ${p} ${status}`, schema: component('Error') });
          if (status === '503') expect(response.headers['Retry-After']).toBeTruthy();
        }
      }
    }
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['LiveClientMessage', 'LiveServerMessage', 'RunResult', 'JudgeResult', 'Health', 'Error']));
  });
});

describe('real answers match the documented schemas', () => {
  const visitor = { 'x-runbox-visitor': 'openapi-visitor-key-0123456789abcdef' };

  test('health, languages, the document itself', async () => {
    conforms('GET', '/api/health', await server().request('GET', '/api/health'));
    const languages = await server().request('GET', '/api/languages');
    expect(languages.json.length).toBeGreaterThanOrEqual(4);
    conforms('GET', '/api/languages', languages);
    conforms('GET', '/api/openapi.json', await server().request('GET', '/api/openapi.json'));
  });

  test('execute: ok, a compile error, a runtime error, a timeout, kept in history', async () => {
    const runs = [
      { language: 'python', code: 'print(input()[::-1])', stdin: 'runbox' },
      { language: 'cpp', code: 'int main() { return x; }' },
      { language: 'javascript', code: 'process.exit(4)' },
      { language: 'java', code: 'public class Main { public static void main(String[] a) { System.out.println(a.length); } }', args: ['x'] },
      { language: 'python', code: 'while True: pass', limits: { timeMs: 300, cpuTimeMs: 300 } },
    ];
    const statuses: string[] = [];
    for (const body of runs) {
      const reply = await server().request('POST', '/api/execute', body, visitor);
      conforms('POST', '/api/execute', reply);
      statuses.push(reply.json.status);
    }
    expect(statuses).toEqual(['ok', 'compile_error', 'runtime_error', 'ok', 'timeout']);
  });

  test('error answers: 400 field, 400 language, 400 visitor key, 413, 415, 404, 426', async () => {
    conforms('POST', '/api/execute', await server().request('POST', '/api/execute', { language: 'python', code: 1 }));
    conforms('POST', '/api/execute', await server().request('POST', '/api/execute', { language: 'cobol', code: '' }));
    conforms('POST', '/api/execute', await server().request('POST', '/api/execute', { language: 'python', code: '' }, { 'x-runbox-visitor': 'short' }));
    const big = await server().request('POST', '/api/execute', { language: 'python', code: 'x'.repeat(server().config.codeKb * 1024 + 1) });
    expect(big.status).toBe(413);
    conforms('POST', '/api/execute', big);
    const notJson = await server().request('POST', '/api/execute', 'print(1)', { 'content-type': 'text/plain' });
    expect(notJson.status).toBe(415);
    conforms('POST', '/api/execute', notJson);
    conforms('GET', '/api/snippets/{id}', await server().request('GET', '/api/snippets/AAAAAAAAAAAAAAAA'));
    const live = await server().request('GET', '/api/live');
    expect(live.status).toBe(426);
    conforms('GET', '/api/live', live);
  });

  test('snippets: created, read back', async () => {
    const created = await server().request('POST', '/api/snippets', { language: 'python', code: 'print(1)', args: ['a'] });
    expect(created.status).toBe(201);
    conforms('POST', '/api/snippets', created);
    conforms('GET', '/api/snippets/{id}', await server().request('GET', `/api/snippets/${created.json.id}`));
  });

  test('judge: problems, a problem, an accepted and a failed submission', async () => {
    conforms('GET', '/api/problems', await server().request('GET', '/api/problems'));
    conforms('GET', '/api/problems/{slug}', await server().request('GET', '/api/problems/a-plus-b'));
    conforms('GET', '/api/problems/{slug}', await server().request('GET', '/api/problems/a-plus-b', undefined, { authorization: `Bearer ${ADMIN_KEY}` }));
    const accepted = await server().request('POST', '/api/problems/a-plus-b/submissions', { language: 'python', code: 'a, b = map(int, input().split())\nprint(a + b)' }, visitor);
    expect(accepted.json.status).toBe('accepted');
    conforms('POST', '/api/problems/{slug}/submissions', accepted);
    const wrong = await server().request('POST', '/api/problems/a-plus-b/submissions', { language: 'cpp', code: 'int main() { return 1; }' });
    expect(wrong.json.status).toBe('runtime_error');
    conforms('POST', '/api/problems/{slug}/submissions', wrong);
    conforms('POST', '/api/problems/{slug}/submissions', await server().request('POST', '/api/problems/no-such/submissions', { language: 'python', code: '' }));
  });

  test('admin: create, replace, delete, and the refusals', async () => {
    const admin = { authorization: `Bearer ${ADMIN_KEY}` };
    const problem = { slug: 'openapi-echo', title: 'Echo', statement: 'Print the input.', timeLimitMs: 1000, memoryLimitMb: 128, tests: [{ input: '1\n', expected: '1\n' }] };
    conforms('POST', '/api/problems', await server().request('POST', '/api/problems', problem, admin));
    conforms('POST', '/api/problems', await server().request('POST', '/api/problems', problem, admin)); // 409
    conforms('POST', '/api/problems', await server().request('POST', '/api/problems', problem, { authorization: 'Bearer wrong-key-wrong-key-wrong' })); // 401
    conforms('PUT', '/api/problems/{slug}', await server().request('PUT', '/api/problems/openapi-echo', { ...problem, title: 'Echo 2' }, admin));
    conforms('DELETE', '/api/problems/{slug}', await server().request('DELETE', '/api/problems/openapi-echo', undefined, admin));
    conforms('DELETE', '/api/problems/{slug}', await server().request('DELETE', '/api/problems/openapi-echo', undefined, admin)); // 404
  });

  test('history: the list, one entry of each kind, deleting', async () => {
    const list = await server().request('GET', '/api/history', undefined, visitor);
    conforms('GET', '/api/history', list);
    const kinds = new Set<string>();
    for (const entry of list.json.entries as { id: string; kind: string }[]) {
      if (kinds.has(entry.kind)) continue;
      kinds.add(entry.kind);
      conforms('GET', '/api/history/{id}', await server().request('GET', `/api/history/${entry.id}`, undefined, visitor));
    }
    expect([...kinds].sort()).toEqual(['judge', 'run']);
    conforms('GET', '/api/history', await server().request('GET', '/api/history'));
    conforms('DELETE', '/api/history/{id}', await server().request('DELETE', `/api/history/${list.json.entries[0].id}`, undefined, visitor));
  });

  test('a live run and a streamed run: every message is a documented LiveServerMessage', async () => {
    const start = { type: 'start', language: 'python', code: 'print(input())' };
    matchesSchema(component('LiveClientMessage'), start, 'start');
    const live = await LiveClient.start(server().url, { language: 'python', code: 'print(input())' });
    live.send({ type: 'stdin', data: 'hi\n' });
    live.send({ type: 'stdin-eof' });
    await live.exit();
    for (const m of live.messages()) matchesSchema(component('LiveServerMessage'), m, `live ${m.type}`);
    const stream = await server().request('POST', '/api/execute/stream', { language: 'cpp', code: '#include <cstdio>\nint main() { std::puts("s"); }' });
    expect(stream.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = stream.text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.type)).toEqual(['started', 'compile', 'stdout', 'exit']);
    for (const line of lines) matchesSchema(doc.paths['/api/execute/stream'].post.responses['200'].content['application/x-ndjson'].schema, line, `stream ${line.type}`);
  });

  test('metrics, and the refusal of a request that came through a proxy', async () => {
    const metrics = await server().request('GET', '/metrics');
    expect(metrics.status).toBe(200);
    conforms('GET', '/metrics', metrics);
    const proxied = await server().request('GET', '/metrics', undefined, { 'x-forwarded-for': '127.0.0.1' });
    expect(proxied.status).toBe(403);
    conforms('GET', '/metrics', proxied);
  });
});

describe('the docs page', () => {
  test('loads in Chromium from runbox alone, and lists every operation', async () => {
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage();
      const requested: string[] = [];
      const failed: string[] = [];
      page.on('request', (r) => requested.push(r.url()));
      page.on('requestfailed', (r) => failed.push(r.url()));
      page.on('console', (m) => m.type() === 'error' && failed.push(`console: ${m.text()}`));
      const response = await page.goto(`${server().url}/api/docs`);
      expect(response!.headers()['content-security-policy']).toMatch(/default-src 'none'/);
      await page.waitForSelector('.opblock', { timeout: 30000 });
      const operations = Object.values(doc.paths as Record<string, Json>).reduce((n, item) => n + Object.keys(item).length, 0);
      await page.waitForFunction((n) => document.querySelectorAll('.opblock').length === n, operations, { timeout: 30000 });
      expect(await page.locator('.opblock-summary-path', { hasText: '/api/execute' }).first().isVisible()).toBe(true);
      await page.screenshot({ path: 'test-output/api-docs.png' });
      const own = new URL(server().url).origin;
      expect(requested.length).toBeGreaterThan(3);
      expect(requested.filter((u) => !u.startsWith(`${own}/`) && !u.startsWith('data:') && !u.startsWith('blob:'))).toEqual([]);
      expect(failed).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 90000);

  test('serves only its own files', async () => {
    expect((await server().request('GET', '/api/docs/package.json')).status).toBe(404);
    expect((await server().request('GET', '/api/docs/..%2F..%2Fpackage.json')).status).toBe(404);
    const script = await server().request('GET', '/api/docs/swagger-ui-bundle.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
  });
});

describe('/metrics behind the public nginx server', () => {
  let nginx: TestNginx;
  let playground: http.Server;
  const seenByPlayground: string[] = [];

  beforeAll(async () => {
    // the playground upstream: records what reaches it, answers like a web app's 404
    playground = http.createServer((req, res) => {
      seenByPlayground.push(req.url ?? '');
      res.writeHead(404, { 'content-type': 'text/html' }).end('<!doctype html><title>not found</title>');
    });
    await new Promise<void>((r) => playground.listen(0, '127.0.0.1', () => r()));
    const api = new URL(server().url);
    nginx = await startNginx([`127.0.0.1:${api.port}`], `http://127.0.0.1:${(playground.address() as AddressInfo).port}`);
  }, 60000);

  afterAll(async () => {
    await nginx?.stop();
    playground?.close();
  });

  const get = (p: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      https
        .get(`${nginx.url}${p}`, { ca: nginx.ca, servername: 'localhost', agent: false }, (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        })
        .on('error', reject);
    });

  test('the API answers /metrics to loopback, yet no path through nginx reaches it', async () => {
    expect((await server().request('GET', '/metrics')).text).toContain('runbox_runs_total');
    // the API itself is reachable through nginx
    expect((await get('/api/health')).status).toBe(200);
    for (const p of ['/metrics', '/api/metrics', '/api/../metrics', '/api/%2e%2e/metrics', '/api//metrics', '/METRICS', '/metrics/']) {
      const reply = await get(p);
      expect({ p, status: reply.status, leaked: /runbox_|# HELP/.test(reply.body) }).toEqual({ p, status: 404, leaked: false });
    }
    expect(seenByPlayground).toContain('/metrics');
  });
});
