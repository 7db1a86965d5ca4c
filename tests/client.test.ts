import { beforeAll, describe, expect, test } from '@jest/globals';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type express from 'express';
import { routeDoc } from '../backend/src/http/openapi/registry.js';
import { registeredRoutes } from '../backend/src/http/registered-routes.js';
import type { ApiKeyCreated } from '../backend/src/protocol.js';
import { documentSource, schemaSource } from '../clients/typescript/scripts/codegen.js';
import type * as Client from '../clients/typescript/src/index.js';
import { launchChromium } from './helpers/browser.js';
import { useRunbox } from './helpers/runbox.js';

/**
 * The OpenAPI document as integrators use it, and the TypeScript client made from it
 * (clients/typescript), against a real server: readable operation ids, a description and an
 * example that works for every operation (Swagger UI's "Try it out" runs a hello world as it
 * is), answers open to new fields, @redocly/cli's lint with nothing to say, the committed
 * document and generated types equal to what the live server serves, and the built client
 * running programs and submissions.
 */

const ADMIN_KEY = 'client-test-admin-key-0123456789';
const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const server = useRunbox({ RUNBOX_ADMIN_KEY: ADMIN_KEY, RUNBOX_USER_POOL: '2' });
const run = promisify(execFile);
const CLIENT_DIR = path.resolve('clients/typescript');

type Json = Record<string, any>;
let doc: Json;
beforeAll(async () => {
  doc = (await server().request('GET', '/api/openapi.json')).json;
});

const operations = () =>
  Object.entries(doc.paths as Record<string, Json>).flatMap(([p, item]) =>
    Object.entries(item)
      .filter(([method]) => ['get', 'put', 'post', 'delete', 'patch'].includes(method))
      .map(([method, op]) => ({ at: `${method} ${p}`, method, path: p, op: op as Json })),
  );

describe('the OpenAPI document', () => {
  test('every operation has a readable operationId its route gives (not one made of its path), a description and a code sample', () => {
    const ids = operations().map(({ op }) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    const app = server().server.listeners('request')[0] as express.Express;
    const named = new Set(registeredRoutes(app).flatMap((r) => (routeDoc(r.router, r.method, r.localPath)?.operationId ? [`${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`] : [])));
    const lacking = operations().flatMap(({ at, op }) => [
      ...(named.has(at) && /^[a-z][A-Za-z0-9]+$/.test(op.operationId) ? [] : [`${at}: operationId ${op.operationId}`]),
      ...(typeof op.description === 'string' && op.description.length > 20 ? [] : [`${at}: description`]),
      ...(op['x-codeSamples']?.[0]?.source ? [] : [`${at}: code sample`]),
    ]);
    expect(lacking).toEqual([]);
    expect(Object.fromEntries(operations().filter(({ path: p }) => p.startsWith('/api/submissions') || p === '/api/execute').map(({ at, op }) => [at, op.operationId]))).toMatchObject({
      'post /api/execute': 'execute',
      'post /api/submissions': 'createSubmission',
      'get /api/submissions': 'listSubmissions',
      'get /api/submissions/{id}': 'getSubmission',
      'delete /api/submissions/{id}': 'deleteSubmission',
    });
  });

  test('every example is valid against its schema, and every required parameter has one', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    const problems: unknown[] = [];
    for (const { at, op } of operations()) {
      const media = op.requestBody?.content?.['application/json'];
      if (media) {
        const validate = ajv.compile({ ...media.schema, components: doc.components });
        if (media.example === undefined) problems.push(`${at}: no example`);
        else if (!validate(media.example)) problems.push({ at, errors: validate.errors });
      }
      for (const parameter of op.parameters ?? []) {
        if (!parameter.required || parameter.schema?.const !== undefined) continue;
        const example = parameter.example ?? parameter.schema?.example;
        if (example === undefined) problems.push(`${at}: parameter ${parameter.name} has no example`);
        else if (!ajv.validate(parameter.schema, example)) problems.push({ at, parameter: parameter.name, errors: ajv.errors });
      }
    }
    expect(problems).toEqual([]);
  });

  test("the examples of runbox's runs work as they are on a real server", async () => {
    const body = (p: string, method = 'post') => doc.paths[p][method].requestBody.content['application/json'].example;
    const execute = await server().request('POST', '/api/execute', body('/api/execute'));
    expect(execute.json).toMatchObject({ status: 'ok', stdout: 'Hello, world!\n', language: 'python' });
    const stream = await server().request('POST', '/api/execute/stream', body('/api/execute/stream'));
    expect(stream.text.trim().split('\n').map((l) => JSON.parse(l).type).at(-1)).toBe('exit');
    expect((await server().request('POST', '/api/snippets', body('/api/snippets'))).status).toBe(201);
    const submission = await server().request('POST', '/api/submissions?wait=true', body('/api/submissions'));
    expect(submission.json).toMatchObject({ status: 'ok', verdict: 'accepted' });
    expect((await server().request('POST', '/api/submissions/batch', body('/api/submissions/batch'))).status).toBe(202);
    const judged = await server().request('POST', '/api/problems/a-plus-b/submissions', body('/api/problems/{slug}/submissions'));
    expect(judged.json.status).toBe('accepted');
    expect((await server().request('POST', '/api/v2/execute', body('/api/v2/execute'))).json.run.stdout).toBe('notsip\n');
    expect((await server().request('POST', '/api/admin/keys', body('/api/admin/keys'), admin)).status).toBe(201);
    expect((await server().request('POST', '/api/problems', body('/api/problems'), admin)).status).toBe(201);
    expect((await server().request('PUT', '/api/problems/hello-name', body('/api/problems/{slug}', 'put'), admin)).status).toBe(200);
    const hello = await server().request('POST', '/api/problems/hello-name/submissions', { language: 'python', code: 'print(f"Hello, {input()}!")' });
    expect(hello.json).toMatchObject({ status: 'accepted', passed: 2 });
  });

  test("answers' schemas stay open to new fields; requests stay closed; the licence is the repository's", () => {
    const closed: string[] = [];
    const walk = (node: unknown, where: string) => {
      if (Array.isArray(node)) node.forEach((n, i) => walk(n, `${where}/${i}`));
      else if (node && typeof node === 'object') {
        if ((node as Json).additionalProperties === false) closed.push(where);
        for (const [k, v] of Object.entries(node)) walk(v, `${where}/${k}`);
      }
    };
    for (const { at, op } of operations()) for (const [status, response] of Object.entries(op.responses as Json)) walk(response, `${at} ${status}`);
    const answers = Object.entries(doc.components.schemas as Json).filter(([name]) => !['LiveClientMessage', 'PistonClientMessage'].includes(name));
    for (const [name, schema] of answers) walk(schema, name);
    expect(closed).toEqual([]);
    // a request refuses fields it does not know, and says so
    expect(doc.paths['/api/execute'].post.requestBody.content['application/json'].schema.additionalProperties).toBe(false);
    expect(doc.info.license).toEqual({ name: expect.stringMatching(/no licence/i), identifier: 'LicenseRef-runbox-no-licence' });
  });

  test('the committed openapi.json and generated types are what this server serves (regenerate: npm run generate --workspace clients/typescript)', async () => {
    const committed = { document: readFileSync(path.join(CLIENT_DIR, 'openapi.json'), 'utf8'), types: readFileSync(path.join(CLIENT_DIR, 'src/schema.ts'), 'utf8') };
    const live = { document: documentSource(doc), types: await schemaSource(doc) };
    // what changed, to see at a glance: the paths and components that differ
    const old = JSON.parse(committed.document) as Json;
    const differing = (section: 'paths' | 'components') =>
      [...new Set([...Object.keys(old[section] ?? {}), ...Object.keys(doc[section] ?? {})])].filter((k) => JSON.stringify(old[section]?.[k]) !== JSON.stringify(doc[section]?.[k]));
    const stale = committed.document !== live.document || committed.types !== live.types;
    expect({ stale, paths: stale ? differing('paths') : [], components: stale ? differing('components') : [] }).toEqual({
      stale: false,
      paths: [],
      components: [],
    });
  });

  test('@redocly/cli lint (the recommended rules) finds no error and no warning', async () => {
    // the committed document, which the test above holds equal to the live one; the WebSocket
    // findings it ignores are listed, with the reason, in clients/typescript/.redocly.lint-ignore.yaml
    const { stdout } = await run(path.resolve('node_modules/.bin/redocly'), ['lint', 'openapi.json', '--format=json'], {
      cwd: CLIENT_DIR,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      maxBuffer: 64 * 1024 * 1024,
    });
    const report = JSON.parse(stdout) as { totals: { errors: number; warnings: number; ignored: number }; problems: { ruleId: string; message: string }[] };
    expect({ totals: report.totals, problems: report.problems.map((p) => `${p.ruleId}: ${p.message}`) }).toEqual({ totals: { errors: 0, warnings: 0, ignored: 5 }, problems: [] });
  }, 120_000);

  test("Swagger UI's Try it out on POST /api/execute starts from a Python hello world, which runs", async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${server().url}/api/docs`);
      const operation = page.locator('#operations-runs-execute');
      await operation.locator('.opblock-summary').click({ timeout: 30_000 });
      await operation.locator('.try-out__btn').click({ timeout: 30_000 });
      const filled = await operation.locator('textarea.body-param__text').inputValue({ timeout: 30_000 });
      expect(JSON.parse(filled)).toEqual({ language: 'python', code: 'print("Hello, world!")' });
      await operation.locator('button.execute').click();
      const answer = operation.locator('.live-responses-table .response-col_description .microlight').first();
      await answer.waitFor({ timeout: 60_000 });
      expect(JSON.parse(await answer.innerText())).toMatchObject({ status: 'ok', stdout: 'Hello, world!\n' });
    } finally {
      await browser.close();
    }
  }, 120_000);
});

describe('the TypeScript client (clients/typescript), built, against a real server', () => {
  let createRunbox: typeof Client.createRunbox;
  let RunboxError: typeof Client.RunboxError;

  beforeAll(async () => {
    // built as `npm run build` builds it; the test takes what an app would import
    await run('npm', ['run', 'build', '--workspace', 'clients/typescript']);
    ({ createRunbox, RunboxError } = (await import(path.join(CLIENT_DIR, 'dist/index.js'))) as typeof Client);
  }, 120_000);

  const anonymous = () => createRunbox({ baseUrl: server().url });

  test('execute: a run and its result, typed; an error answer is a RunboxError naming the field', async () => {
    const result = await anonymous().execute({ language: 'python', code: 'print(input()[::-1])', stdin: 'runbox' });
    expect(result).toMatchObject({ status: 'ok', stdout: 'xobnur\n', exitCode: 0 });
    const binary = await anonymous().execute({ language: 'python', code: Buffer.from('import sys; sys.stdout.buffer.write(bytes([0, 255]))').toString('base64'), encoding: 'base64' });
    expect(Buffer.from(binary.stdout, 'base64')).toEqual(Buffer.from([0, 255]));
    const refused = await anonymous()
      .execute({ language: 'cobol', code: '' })
      .catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(RunboxError);
    expect(refused).toMatchObject({ status: 400, body: { field: 'language' } });
    expect((await anonymous().languages()).map((l) => l.id)).toEqual(expect.arrayContaining(['python', 'cpp', 'java', 'javascript']));
  });

  test('submissions: created and waited for, run, listed page by page, deleted; idempotent retries', async () => {
    const made = await anonymous().api.POST('/api/admin/keys', { body: { name: 'typed client' }, headers: admin });
    const key = made.data as ApiKeyCreated;
    const runbox = createRunbox({ baseUrl: server().url, apiKey: key.key });
    const waited = await runbox.submissions.create({ language: 'python', code: 'print(6 * 7)', expectedOutput: '42' }, { wait: true });
    expect(waited).toMatchObject({ status: 'ok', stdout: '42\n', verdict: 'accepted' });
    const done = await runbox.submissions.run({ language: 'cpp', code: '#include <cstdio>\nint main() { std::puts("typed"); }' });
    expect(done).toMatchObject({ status: 'ok', stdout: 'typed\n' });
    const retried = await Promise.all([1, 2].map(() => runbox.submissions.create({ language: 'python', code: 'print("once")' }, { idempotencyKey: 'client-retry' }).catch(() => null)));
    const ids = new Set(retried.filter(Boolean).map((s) => s!.id));
    expect(ids.size).toBe(1);
    const again = await runbox.submissions.create({ language: 'python', code: 'print("once")' }, { idempotencyKey: 'client-retry' });
    expect(ids.has(again.id)).toBe(true);

    const page = await runbox.submissions.list({ limit: 2 });
    expect(page.submissions).toHaveLength(2);
    expect(page.nextCursor).not.toBeNull();
    const all: string[] = [];
    for await (const s of runbox.submissions.all({ limit: 1 })) all.push(s.id);
    expect(all).toEqual([again.id, done.id, waited.id]);
    const finished = await runbox.submissions.get(again.id, { wait: true });
    expect(finished.status).toBe('ok');
    await runbox.submissions.delete(waited.id);
    const gone = await runbox.submissions.get(waited.id).catch((err: unknown) => err);
    expect(gone).toMatchObject({ status: 404 });
    expect((await runbox.submissions.list({ state: 'finished' })).submissions.map((s) => s.id)).toEqual([again.id, done.id]);
  });
});
