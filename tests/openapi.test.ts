import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type express from 'express';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';
import { WebSocket } from 'ws';
import { default as expressApp, Router as expressRouter } from 'express';
import { buildOpenApiDocument } from '../backend/src/http/openapi/document.js';
import { describedRoutes, describeRoute } from '../backend/src/http/openapi/registry.js';
import { registeredRouters, registeredRoutes } from '../backend/src/http/registered-routes.js';
import { LiveClient } from './helpers/live.js';
import { startNginx, type TestNginx } from './helpers/nginx.js';
import { startTestRunbox, subInstance, useRunbox, type HttpReply, type TestRunbox } from './helpers/runbox.js';

/**
 * The OpenAPI document a real server serves: valid, complete (every route the Express app
 * registers, found by walking its router) and true (real answers of real runs match the
 * schemas it states). Then its docs page in a real Chromium, and /metrics behind the real
 * public nginx server. A second server with a tiny anonymous quota answers the 429 of a quota.
 */
const ADMIN_KEY = 'openapi-test-admin-key-0123456789';
// a tag of its own: the quota server below runs beside it (two servers need two sub-tags)
const server = useRunbox({ RUNBOX_ADMIN_KEY: ADMIN_KEY, RUNBOX_USER_POOL: '2', RUNBOX_INSTANCE: subInstance(0) });

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
  // headers runbox itself sets are documented where they are sent (the quota's too)
  for (const header of ['retry-after', 'location', 'ratelimit-policy', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset']) {
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
          if (Number(status) >= 400 && status !== '500') {
            const at = `${method} ${p} ${status}`;
            const schema = response.content['application/json'].schema;
            // Piston's API answers Piston's { message }; runbox's own Error where the key check or nginx answers first
            // Judge0's answers Judge0's: { error }, a 422 of field errors (an array of them for a batch), Rails' 404
            const allowed = p.startsWith('/api/v2/')
              ? [component('Error'), component('PistonError'), { anyOf: [component('PistonError'), component('Error')] }]
              : p.startsWith('/judge0/')
                ? [component('Judge0Error'), component('Judge0FieldErrors'), component('Judge0NotFound'), { anyOf: [component('Judge0Error'), component('Error')] }, { type: 'array', items: component('Judge0FieldErrors') }]
                : [component('Error')];
            expect({ at, schema }).toEqual({ at, schema: allowed.find((a) => JSON.stringify(a) === JSON.stringify(schema)) ?? allowed[0] });
          }
          if (status === '503') expect(response.headers['Retry-After']).toBeTruthy();
          // a quota's 429 says which window and when it resets
          if (status === '429') for (const h of ['RateLimit-Policy', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset']) expect({ at: `${method} ${p}`, h, documented: Boolean(response.headers[h]) }).toEqual({ at: `${method} ${p}`, h, documented: true });
        }
      }
    }
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['LiveClientMessage', 'LiveServerMessage', 'RunResult', 'JudgeResult', 'Health', 'Error', 'ApiKey', 'Submission', 'PistonExecuteResponse', 'PistonClientMessage', 'PistonServerMessage']),
    );
  });

  test('API keys: both ways of sending one, anonymous access, and the 401 of every route behind the key check', () => {
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes.apiKeyHeader).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-API-Key' });
    // this server lets anonymous clients in ({}), under their own quotas
    expect(doc.security).toEqual([{}, { apiKey: [] }, { apiKeyHeader: [] }]);
    const open = ['get /', 'get /api/health', 'get /api/openapi.json', 'get /api/docs', 'get /api/docs/{asset}', 'get /metrics'];
    for (const [p, item] of Object.entries(doc.paths as Record<string, Json>)) {
      for (const [method, op] of Object.entries(item)) {
        const at = `${method} ${p}`;
        if (open.includes(at)) continue;
        // every other route is behind the key check, or the admin's
        expect({ at, answers401: Boolean(op.responses['401']) }).toEqual({ at, answers401: true });
      }
    }
    // the program of several files is in every request that takes a program
    for (const [p, method] of [['/api/execute', 'post'], ['/api/snippets', 'post'], ['/api/submissions', 'post'], ['/api/problems/{slug}/submissions', 'post']] as const) {
      const body = doc.paths[p][method].requestBody.content['application/json'].schema;
      expect({ p, files: body.properties?.files?.type }).toEqual({ p, files: 'array' });
    }
    expect(doc.paths['/api/v2/execute'].post.requestBody.content['application/json'].schema.properties.files.type).toBe('array');
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

  test('API keys: made, listed, read, its usage, revoked; a run with a key; the refusals', async () => {
    const admin = { authorization: `Bearer ${ADMIN_KEY}` };
    const made = await server().request('POST', '/api/admin/keys', { name: 'openapi', ratePerMinute: 1000, caps: { timeMs: 2000 } }, admin);
    expect(made.status).toBe(201);
    conforms('POST', '/api/admin/keys', made);
    conforms('POST', '/api/admin/keys', await server().request('POST', '/api/admin/keys', { name: '' }, admin)); // 400
    conforms('POST', '/api/admin/keys', await server().request('POST', '/api/admin/keys', { name: 'x' })); // 401
    const id = made.json.id as string;
    const key = { authorization: `Bearer ${made.json.key}` };
    // a run with the key: its answer carries the key's RateLimit-* headers
    const run = await server().request('POST', '/api/execute', { language: 'python', code: 'print(1)' }, { 'x-api-key': made.json.key });
    expect(run.headers.get('ratelimit-policy')).toBe('1000;w=60');
    conforms('POST', '/api/execute', run);
    const overCap = await server().request('POST', '/api/execute', { language: 'python', code: 'print(1)', limits: { timeMs: 3000 } }, key);
    expect(overCap.status).toBe(403);
    conforms('POST', '/api/execute', overCap);
    const list = await server().request('GET', '/api/admin/keys', undefined, admin);
    expect(list.json.keys.map((k: Json) => k.id)).toContain(id);
    conforms('GET', '/api/admin/keys', list);
    conforms('GET', '/api/admin/keys/{id}', await server().request('GET', `/api/admin/keys/${id}`, undefined, admin));
    conforms('GET', '/api/admin/keys/{id}', await server().request('GET', '/api/admin/keys/AAAAAAAAAAAAAAAA', undefined, admin)); // 404
    const usage = await server().request('GET', `/api/admin/keys/${id}/usage?days=7`, undefined, admin);
    expect(usage.json.total.runs).toBe(1);
    conforms('GET', '/api/admin/keys/{id}/usage', usage);
    conforms('GET', '/api/admin/keys/{id}/usage', await server().request('GET', `/api/admin/keys/${id}/usage?days=0`, undefined, admin)); // 400
    conforms('DELETE', '/api/admin/keys/{id}', await server().request('DELETE', `/api/admin/keys/${id}`, undefined, admin));
    const revoked = await server().request('POST', '/api/execute', { language: 'python', code: 'print(1)' }, key);
    expect(revoked.status).toBe(401);
    conforms('POST', '/api/execute', revoked);
  });

  test('submissions: queued, a batch, read, waited for, several by id, and the refusals', async () => {
    const one = await server().request('POST', '/api/submissions', { language: 'python', code: 'print(input())', stdin: 'async', expectedOutput: 'async\n' });
    expect(one.status).toBe(202);
    conforms('POST', '/api/submissions', one);
    const batch = await server().request('POST', '/api/submissions/batch', {
      submissions: [
        { language: 'cpp', code: 'int main() { return 3; }' },
        { language: 'python', files: [{ name: 'main.py', content: 'import helper' }, { name: 'helper.py', content: 'print("two files")' }] },
      ],
    });
    expect(batch.status).toBe(202);
    conforms('POST', '/api/submissions/batch', batch);
    conforms('POST', '/api/submissions', await server().request('POST', '/api/submissions', { language: 'python', code: 1 })); // 400
    conforms('POST', '/api/submissions/batch', await server().request('POST', '/api/submissions/batch', { submissions: [] })); // 400
    // its state at once (queued or running, or done already), then its result
    conforms('GET', '/api/submissions/{id}', await server().request('GET', `/api/submissions/${one.json.id}`));
    const ids = [one.json.id, ...batch.json.ids] as string[];
    const done: Json[] = [];
    for (const id of ids) {
      let reply: HttpReply;
      do reply = await server().request('GET', `/api/submissions/${id}?wait=true`);
      while (reply.json.status === 'queued' || reply.json.status === 'running');
      conforms('GET', '/api/submissions/{id}', reply);
      done.push(reply.json);
    }
    expect(done.map((d) => [d.status, d.verdict])).toEqual([['ok', 'accepted'], ['runtime_error', null], ['ok', null]]);
    expect(done[2]!.stdout).toBe('two files\n');
    const several = await server().request('GET', `/api/submissions?ids=${ids.join(',')},AAAAAAAAAAAAAAAA`);
    expect(several.json.submissions.at(-1)).toBeNull();
    conforms('GET', '/api/submissions', several);
    conforms('GET', '/api/submissions', await server().request('GET', '/api/submissions?ids=not*an*id'));
    conforms('GET', '/api/submissions/{id}', await server().request('GET', '/api/submissions/AAAAAAAAAAAAAAAA'));
    conforms('GET', '/api/submissions/{id}', await server().request('GET', `/api/submissions/${one.json.id}?wait=maybe`));
  });

  test("Piston: runtimes, a run of each kind, Piston's errors, and the WebSocket's messages", async () => {
    const runtimes = await server().request('GET', '/api/v2/runtimes');
    expect(runtimes.json.map((r: Json) => r.language)).toEqual(expect.arrayContaining(['python', 'c++']));
    conforms('GET', '/api/v2/runtimes', runtimes);
    const interpreted = await server().request('POST', '/api/v2/execute', { language: 'python', version: '*', files: [{ content: 'print(input())' }], stdin: 'piston' });
    expect(interpreted.json.run.stdout).toBe('piston\n');
    conforms('POST', '/api/v2/execute', interpreted);
    const compiled = await server().request('POST', '/api/v2/execute', { language: 'c++', version: '*', files: [{ name: 'main.cpp', content: 'int main() { return 2; }' }] });
    expect([compiled.json.compile.code, compiled.json.run.code]).toEqual([0, 2]);
    conforms('POST', '/api/v2/execute', compiled);
    const bad = await server().request('POST', '/api/v2/execute', { language: 'python', version: '*', files: [{ content: 7 }] });
    expect(bad.status).toBe(400);
    conforms('POST', '/api/v2/execute', bad);
    conforms('POST', '/api/v2/execute', await server().request('POST', '/api/v2/execute', 'x', { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://elsewhere.example' })); // 415
    conforms('GET', '/api/v2/connect', await server().request('GET', '/api/v2/connect')); // 426

    const ws = new WebSocket(`${server().url.replace(/^http/, 'ws')}/api/v2/connect`);
    const messages: Json[] = [];
    ws.on('message', (data) => messages.push(JSON.parse(data.toString())));
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const sent = [
      { type: 'init', language: 'python', version: '*', files: [{ content: 'print(input(), flush=True)\ninput()' }] },
      { type: 'data', stream: 'stdin', data: 'hi\n' },
      { type: 'signal', signal: 'SIGKILL' },
    ];
    ws.send(JSON.stringify(sent[0]));
    ws.send(JSON.stringify(sent[1]));
    for (let i = 0; i < 300 && !messages.some((m) => m.type === 'data' && m.stream === 'stdout'); i++) await new Promise((r) => setTimeout(r, 100));
    ws.send(JSON.stringify(sent[2]));
    expect(await closed).toBe(4999);
    for (const m of sent) matchesSchema(component('PistonClientMessage'), m, `piston client ${m.type}`);
    // output may come in more than one piece: data messages in a row count as one
    const kinds = messages.map((m) => m.type).filter((t, i, all) => !(t === 'data' && all[i - 1] === 'data'));
    expect(kinds).toEqual(['runtime', 'stage', 'data', 'exit']);
    for (const m of messages) matchesSchema(component('PistonServerMessage'), m, `piston server ${m.type}`);
  });

  test("Judge0: statuses, languages, configuration, a submission created, waited for, read, in a batch, listed, deleted, and Judge0's errors", async () => {
    const get = (path: string, headers: Record<string, string> = {}) => server().request('GET', `/judge0${path}`, undefined, headers);
    const admin = { 'x-auth-user': ADMIN_KEY };
    conforms('GET', '/judge0/statuses', await get('/statuses'));
    conforms('GET', '/judge0/languages', await get('/languages'));
    conforms('GET', '/judge0/languages/all', await get('/languages/all'));
    conforms('GET', '/judge0/languages/{id}', await get('/languages/71'));
    conforms('GET', '/judge0/languages/{id}', await get('/languages/1')); // 404
    conforms('GET', '/judge0/config_info', await get('/config_info'));
    conforms('GET', '/judge0/about', await get('/about'));
    conforms('GET', '/judge0/version', await get('/version'));
    conforms('POST', '/judge0/authenticate', await server().request('POST', '/judge0/authenticate'));
    conforms('POST', '/judge0/authorize', await server().request('POST', '/judge0/authorize', undefined, admin));
    conforms('POST', '/judge0/authorize', await server().request('POST', '/judge0/authorize')); // 403
    const created = await server().request('POST', '/judge0/submissions', { language_id: 71, source_code: 'print(input())', stdin: 'judge0' });
    conforms('POST', '/judge0/submissions', created);
    const waited = await server().request('POST', '/judge0/submissions?wait=true&fields=*', { language_id: 71, source_code: 'print(input())', stdin: 'judge0' });
    expect(waited.json.stdout).toBe('judge0\n');
    conforms('POST', '/judge0/submissions', waited);
    conforms('GET', '/judge0/submissions/{token}', await get(`/submissions/${created.json.token}?fields=*`));
    conforms('GET', '/judge0/submissions/{token}', await get(`/submissions/${created.json.token}?base64_encoded=true`));
    conforms('GET', '/judge0/submissions/{token}', await get('/submissions/nosuchtoken00000')); // 404
    conforms('GET', '/judge0/submissions/{token}', await get(`/submissions/${created.json.token}?fields=nope`)); // 400
    conforms('POST', '/judge0/submissions', await server().request('POST', '/judge0/submissions', { language_id: 150000 })); // 422
    conforms('POST', '/judge0/submissions', await server().request('POST', '/judge0/submissions', { language_id: 71, source_code: 'print(1)' }, { 'x-auth-token': 'rbx_nope00000000.nope' })); // 401
    const batch = await server().request('POST', '/judge0/submissions/batch', { submissions: [{ language_id: 71, source_code: 'print(1)' }, { language_id: 0, source_code: 'x' }] });
    conforms('POST', '/judge0/submissions/batch', batch);
    conforms('POST', '/judge0/submissions/batch', await server().request('POST', '/judge0/submissions/batch', { submissions: [{ language_id: 0 }] })); // 422, an array
    conforms('POST', '/judge0/submissions/batch', await server().request('POST', '/judge0/submissions/batch', { submissions: [] })); // 400
    conforms('GET', '/judge0/submissions/batch', await get(`/submissions/batch?tokens=${batch.json[0].token},nosuchtoken00000&fields=*`));
    conforms('GET', '/judge0/submissions', await get('/submissions?per_page=2&fields=*', admin));
    conforms('GET', '/judge0/submissions', await get('/submissions')); // 403
    conforms('DELETE', '/judge0/submissions/{token}', await server().request('DELETE', `/judge0/submissions/${waited.json.token}?fields=*`, undefined, admin));
    conforms('DELETE', '/judge0/submissions/{token}', await server().request('DELETE', `/judge0/submissions/${waited.json.token}`, undefined, admin)); // 404
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

describe("a quota's answers (a server whose anonymous clients may start one run a day)", () => {
  let quoted: TestRunbox;
  beforeAll(async () => {
    quoted = await startTestRunbox({ RUNBOX_INSTANCE: subInstance(1), RUNBOX_USER_POOL: '1', RUNBOX_ANON_RUNS_PER_DAY: '1' });
  });
  afterAll(async () => {
    await quoted?.shutdown();
  });

  test('the run let in carries RateLimit-*; the next is a 429 naming the quota, with Retry-After, from runbox and from Piston', async () => {
    const first = await quoted.request('POST', '/api/execute', { language: 'python', code: 'print(1)' });
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-policy')).toBe('1;w=86400');
    conforms('POST', '/api/execute', first);
    const refused = await quoted.request('POST', '/api/execute', { language: 'python', code: 'print(2)' });
    expect(refused.status).toBe(429);
    expect(refused.json).toMatchObject({ quota: 'daily', limit: 1 });
    conforms('POST', '/api/execute', refused);
    const queued = await quoted.request('POST', '/api/submissions', { language: 'python', code: 'print(3)' });
    expect(queued.status).toBe(429);
    conforms('POST', '/api/submissions', queued);
    const piston = await quoted.request('POST', '/api/v2/execute', { language: 'python', version: '*', files: [{ content: 'print(4)' }] });
    expect(piston.status).toBe(429);
    expect(piston.headers.get('ratelimit-remaining')).toBe('0');
    conforms('POST', '/api/v2/execute', piston);
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
