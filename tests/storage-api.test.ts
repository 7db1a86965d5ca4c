import { describe, expect, test } from '@jest/globals';
import type { HistoryEntry, ProblemResponse, SnippetResponse } from '../backend/src/protocol.js';
import { subInstance, useRunbox } from './helpers/runbox.js';

/** The stored side of the API over HTTP: snippets, history, problems, and their errors. */

const ADMIN_KEY = 'test-admin-key-0123456789';
// a second server runs next to this one at the end: each has a tag of its own
const server = useRunbox({ RUNBOX_ADMIN_KEY: ADMIN_KEY, RUNBOX_HISTORY_MAX: '5', RUNBOX_INSTANCE: subInstance(0) });
const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const visitor = (name: string) => ({ 'x-runbox-visitor': `${name}-visitor-key-0123456789ab` });

describe('snippets', () => {
  test('POST saves and answers 201 with an unguessable id and the share link; GET returns it exactly', async () => {
    const body = { language: 'py', code: 'print(input()[::-1])\n# ünïcødé ✓', stdin: 'abc\n', args: ['x y', ''] };
    // as nginx forwards it (the API trusts forwarding headers from loopback only)
    const created = await server().request('POST', '/api/snippets', body, { 'x-forwarded-host': 'play.example.com', 'x-forwarded-proto': 'https' });
    expect(created.status).toBe(201);
    expect(created.json.id).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(created.json.url).toBe(`https://play.example.com/s/${created.json.id}`);
    expect(created.headers.get('location')).toBe(`/api/snippets/${created.json.id}`);
    const loaded = await server().request('GET', `/api/snippets/${created.json.id}`);
    expect(loaded.status).toBe(200);
    // the alias is stored as the language's id
    expect(loaded.json as SnippetResponse).toEqual({ ...body, language: 'python', id: created.json.id, url: expect.any(String), createdAt: created.json.createdAt });
  });

  test('defaults: no stdin, no args', async () => {
    const created = await server().request('POST', '/api/snippets', { language: 'cpp', code: 'int main(){}' });
    const loaded = await server().request('GET', `/api/snippets/${created.json.id}`);
    expect(loaded.json).toMatchObject({ stdin: '', args: [] });
  });

  test('saving the same code twice gives two different immutable snippets', async () => {
    const body = { language: 'python', code: 'print(1)' };
    const [a, b] = await Promise.all([server().request('POST', '/api/snippets', body), server().request('POST', '/api/snippets', body)]);
    expect(a.json.id).not.toBe(b.json.id);
    expect((await server().request('PUT', `/api/snippets/${a.json.id}`, body)).status).toBe(404);
  });

  test.each([
    ['an unknown id', '/api/snippets/AAAAAAAAAAAAAAAA'],
    ['a malformed id', '/api/snippets/..%2f..%2fetc'],
    ['a too long id', `/api/snippets/${'a'.repeat(500)}`],
  ])('%s is a JSON 404', async (_name, path) => {
    const reply = await server().request('GET', path);
    expect(reply.status).toBe(404);
    expect(reply.json.error).toBe('Not found');
  });

  test.each<[string, string, number, unknown]>([
    ['missing code', 'code', 400, { language: 'python' }],
    ['unknown language', 'language', 400, { language: 'cobol', code: 'x' }],
    ['args not strings', 'args[0]', 400, { language: 'python', code: 'x', args: [1] }],
    ['unknown field', 'title', 400, { language: 'python', code: 'x', title: 't' }],
    ['code over the cap', 'code', 413, { language: 'python', code: 'x'.repeat(64 * 1024 + 1) }],
    ['stdin over the cap', 'stdin', 413, { language: 'python', code: 'x', stdin: 'x'.repeat(1024 * 1024 + 1) }],
  ])('%s: %s, %d', async (_name, field, status, body) => {
    const reply = await server().request('POST', '/api/snippets', body);
    expect(reply.status).toBe(status);
    expect(reply.json.field).toBe(field);
  });

  test('malformed JSON and the wrong media type are 400 and 415', async () => {
    expect((await server().request('POST', '/api/snippets', '{"language":')).status).toBe(400);
    expect((await server().request('POST', '/api/snippets', 'code', { 'content-type': 'text/plain' })).status).toBe(415);
  });
});

describe('history', () => {
  test('runs sent with a visitor key are kept; the visitor lists and reloads them; others cannot', async () => {
    const run = await server().request('POST', '/api/execute', { language: 'python', code: 'print(input())', stdin: 'kept' }, visitor('alice'));
    expect(run.status).toBe(200);
    expect(run.json.stdout).toBe('kept\n');
    expect(run.json.submissionId).toMatch(/^[A-Za-z0-9_-]{16}$/);

    const list = await server().request('GET', '/api/history', undefined, visitor('alice'));
    expect(list.status).toBe(200);
    expect(list.headers.get('cache-control')).toBe('no-store');
    expect(list.json.entries[0] as HistoryEntry).toEqual({ id: run.json.submissionId, kind: 'run', problem: null, language: 'python', status: 'ok', createdAt: expect.any(String) });

    const item = await server().request('GET', `/api/history/${run.json.submissionId}`, undefined, visitor('alice'));
    expect(item.json).toMatchObject({ code: 'print(input())', stdin: 'kept', args: [], result: { stdout: 'kept\n', status: 'ok' } });

    const mallory = visitor('mallory');
    expect((await server().request('GET', '/api/history', undefined, mallory)).json.entries).toEqual([]);
    expect((await server().request('GET', `/api/history/${run.json.submissionId}`, undefined, mallory)).status).toBe(404);
    expect((await server().request('DELETE', `/api/history/${run.json.submissionId}`, undefined, mallory)).status).toBe(404);
    expect((await server().request('DELETE', `/api/history/${run.json.submissionId}`, undefined, visitor('alice'))).status).toBe(204);
    expect((await server().request('GET', `/api/history/${run.json.submissionId}`, undefined, visitor('alice'))).status).toBe(404);
  });

  test('a run without a visitor key is not kept', async () => {
    const run = await server().execute({ language: 'python', code: 'print(2)' });
    expect(run.submissionId).toBeUndefined();
  });

  test('retention: only the newest RUNBOX_HISTORY_MAX submissions stay', async () => {
    const bob = visitor('bob');
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await server().request('POST', '/api/execute', { language: 'python', code: `print(${i})` }, bob)).json.submissionId);
    const list = await server().request('GET', '/api/history', undefined, bob);
    expect(list.json.entries.map((e: HistoryEntry) => e.id)).toEqual(ids.slice(2).reverse());
    const limited = await server().request('GET', '/api/history?limit=2', undefined, bob);
    expect(limited.json.entries).toHaveLength(2);
  });

  test.each<[string, string, Record<string, string>, string]>([
    ['no key', 'X-Runbox-Visitor', {}, '/api/history'],
    ['a short key', 'X-Runbox-Visitor', { 'x-runbox-visitor': 'short' }, '/api/history'],
    ['a key with bad characters', 'X-Runbox-Visitor', { 'x-runbox-visitor': 'a'.repeat(30) + '/..' }, '/api/history'],
    ['a limit of 0', 'limit', visitor('carol'), '/api/history?limit=0'],
    ['a limit over the retention', 'limit', visitor('carol'), '/api/history?limit=6'],
    ['a limit that is not a number', 'limit', visitor('carol'), '/api/history?limit=ten'],
    ['an unknown query field', 'visitor', visitor('carol'), '/api/history?visitor=x'],
  ])('%s is a 400 naming %s', async (_name, field, headers, path) => {
    const reply = await server().request('GET', path, undefined, headers);
    expect(reply.status).toBe(400);
    expect(reply.json.field).toBe(field);
  });

  test('a malformed key on execute is refused before anything runs', async () => {
    const reply = await server().request('POST', '/api/execute', { language: 'python', code: 'print(1)' }, { 'x-runbox-visitor': 'bad key' });
    expect(reply.status).toBe(400);
    expect(reply.json.field).toBe('X-Runbox-Visitor');
  });
});

describe('problems', () => {
  const newProblem = {
    slug: 'api-square',
    title: 'Square',
    statement: 'Print n².',
    timeLimitMs: 1000,
    memoryLimitMb: 128,
    tests: [
      { input: '3\n', expected: '9\n' },
      { input: '12\n', expected: '144\n', hidden: true },
    ],
  };

  test('the seed problems are listed with their sample and hidden counts', async () => {
    const reply = await server().request('GET', '/api/problems');
    expect(reply.status).toBe(200);
    const slugs = reply.json.problems.map((p: { slug: string }) => p.slug);
    expect(slugs).toEqual(expect.arrayContaining(['a-plus-b', 'reverse-line', 'sort-numbers', 'prefix-sums']));
    expect(reply.json.problems.find((p: { slug: string }) => p.slug === 'a-plus-b')).toMatchObject({ title: 'A + B', sampleCount: 2, hiddenCount: 4 });
  });

  test('a problem shows its statement and samples, never its hidden tests', async () => {
    const reply = await server().request('GET', '/api/problems/a-plus-b');
    const body = reply.json as ProblemResponse;
    expect(body.statement).toContain('sum');
    expect(body.samples).toEqual([
      { input: '1 2\n', expected: '3\n' },
      { input: '-5 5\n', expected: '0\n' },
    ]);
    expect(body.tests).toBeUndefined();
    expect(reply.text).not.toContain('2147483648'); // the expected output of a hidden test
  });

  test('creating, replacing and deleting need the admin key', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong-key-0123456789' }, { authorization: ADMIN_KEY }] as Record<string, string>[]) {
      const reply = await server().request('POST', '/api/problems', newProblem, headers);
      expect(reply.status).toBe(401);
      expect(reply.headers.get('www-authenticate')).toBe('Bearer');
    }
    expect((await server().request('PUT', '/api/problems/a-plus-b', newProblem)).status).toBe(401);
    expect((await server().request('DELETE', '/api/problems/a-plus-b')).status).toBe(401);
    expect((await server().request('GET', '/api/problems/a-plus-b')).status).toBe(200);
  });

  test('the admin creates, reads with hidden tests, replaces and deletes a problem', async () => {
    const created = await server().request('POST', '/api/problems', newProblem, admin);
    expect(created.status).toBe(201);
    expect((await server().request('POST', '/api/problems', newProblem, admin)).status).toBe(409);
    const asAdmin = await server().request('GET', '/api/problems/api-square', undefined, admin);
    expect(asAdmin.json.tests).toEqual([
      { input: '3\n', expected: '9\n', hidden: false },
      { input: '12\n', expected: '144\n', hidden: true },
    ]);
    const replaced = await server().request('PUT', '/api/problems/api-square', { ...newProblem, slug: undefined, title: 'Squares', tests: [{ input: '4\n', expected: '16\n' }] }, admin);
    expect(replaced.status).toBe(200);
    const reloaded = await server().request('GET', '/api/problems/api-square');
    expect(reloaded.json).toMatchObject({ title: 'Squares', sampleCount: 1, hiddenCount: 0, samples: [{ input: '4\n', expected: '16\n' }] });
    expect((await server().request('DELETE', '/api/problems/api-square', undefined, admin)).status).toBe(204);
    expect((await server().request('GET', '/api/problems/api-square')).status).toBe(404);
    expect((await server().request('DELETE', '/api/problems/api-square', undefined, admin)).status).toBe(404);
  });

  test.each<[string, string, Record<string, unknown>]>([
    ['a bad slug', 'slug', { ...newProblem, slug: 'Bad Slug!' }],
    ['no title', 'title', { ...newProblem, title: '  ' }],
    ['a time limit over the server maximum', 'timeLimitMs', { ...newProblem, timeLimitMs: 60000 }],
    ['a memory limit of 0', 'memoryLimitMb', { ...newProblem, memoryLimitMb: 0 }],
    ['no tests', 'tests', { ...newProblem, tests: [] }],
    ['a test without expected output', 'tests[0].expected', { ...newProblem, tests: [{ input: '1' }] }],
    ['hidden not a boolean', 'tests[0].hidden', { ...newProblem, tests: [{ input: '1', expected: '1', hidden: 'yes' }] }],
    ['expected output over the output cap', 'tests[0].expected', { ...newProblem, tests: [{ input: '1', expected: 'x'.repeat(64 * 1024 + 1) }] }],
    ['an unknown field', 'difficulty', { ...newProblem, difficulty: 'easy' }],
  ])('%s is a 400 naming %s', async (_name, field, body) => {
    const reply = await server().request('POST', '/api/problems', body, admin);
    expect(reply.status).toBe(400);
    expect(reply.json.field).toBe(field);
  });

  test('PUT with a slug in the body that differs from the path is refused', async () => {
    const reply = await server().request('PUT', '/api/problems/one-slug', { ...newProblem, slug: 'another' }, admin);
    expect(reply.status).toBe(400);
    expect(reply.json.field).toBe('slug');
  });

  test('unknown problems are 404 for reading and submitting', async () => {
    expect((await server().request('GET', '/api/problems/no-such-problem')).status).toBe(404);
    expect((await server().request('GET', '/api/problems/..%2fetc')).status).toBe(404);
    const submit = await server().request('POST', '/api/problems/no-such-problem/submissions', { language: 'python', code: 'print(1)' });
    expect(submit.status).toBe(404);
    expect(submit.json.error).toBe('Not found');
  });

  test.each<[string, string, number, unknown]>([
    ['missing code', 'code', 400, { language: 'python' }],
    ['an unknown language', 'language', 400, { language: 'cobol', code: 'x' }],
    ['stdin (the tests are the input)', 'stdin', 400, { language: 'python', code: 'x', stdin: '1 2' }],
    ['code over the cap', 'code', 413, { language: 'python', code: 'x'.repeat(64 * 1024 + 1) }],
  ])('a submission with %s: %s, %d', async (_name, field, status, body) => {
    const reply = await server().request('POST', '/api/problems/a-plus-b/submissions', body);
    expect(reply.status).toBe(status);
    expect(reply.json.field).toBe(field);
  });
});

describe('admin API switched off', () => {
  test('without RUNBOX_ADMIN_KEY every admin call is 403, whatever key is sent', async () => {
    const { startTestRunbox } = await import('./helpers/runbox.js');
    const box = await startTestRunbox({ RUNBOX_USER_POOL: '0', RUNBOX_INSTANCE: subInstance(1) });
    try {
      const reply = await box.request('POST', '/api/problems', { slug: 'x' }, { authorization: 'Bearer anything-0123456789' });
      expect(reply.status).toBe(403);
      expect(reply.json.message).toContain('RUNBOX_ADMIN_KEY');
      expect((await box.request('GET', '/api/problems')).status).toBe(200);
    } finally {
      await box.shutdown();
    }
  });
});
