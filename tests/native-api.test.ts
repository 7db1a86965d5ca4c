import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ApiKeyCreated } from '../backend/src/protocol.js';
import { startTestRunbox, subInstance, useRunbox, type HttpReply, type TestRunbox } from './helpers/runbox.js';

/**
 * What integrators of the native API reached for (#24): base64 both ways (binary output
 * exactly), Idempotency-Key on POST /api/submissions, submissions listed per key page by
 * page and filtered, DELETE that leaves nothing in the store, and wait=true on create. One
 * real server on SQLite, whose database files the deletion test reads.
 */

const ADMIN_KEY = 'native-api-test-admin-key-0123456789';
const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const bearer = (key: ApiKeyCreated) => ({ authorization: `Bearer ${key.key}` });
// a tag of its own: a second server (a short RUNBOX_SUBMISSION_WAIT_MS) runs beside it
const server = useRunbox({ RUNBOX_ADMIN_KEY: ADMIN_KEY, RUNBOX_USER_POOL: '2', RUNBOX_INSTANCE: subInstance(0) });

const b64 = (data: string | Buffer) => Buffer.from(data).toString('base64');
const bytesOf = (base64: string) => Buffer.from(base64, 'base64');
/** Every byte value once, in order. */
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const python = (code: string, extra: Record<string, unknown> = {}) => ({ language: 'python', code, ...extra });

const post = (path: string, body: unknown, headers: Record<string, string> = {}) => server().request('POST', path, body, headers);
const get = (path: string, headers: Record<string, string> = {}) => server().request('GET', path, undefined, headers);

async function createKey(name: string): Promise<ApiKeyCreated> {
  const reply = await post('/api/admin/keys', { name }, admin);
  expect(reply.status).toBe(201);
  return reply.json;
}

/** Waits (each GET holds up to RUNBOX_SUBMISSION_WAIT_MS) until the submission has run. */
async function finished(id: string, headers: Record<string, string> = {}): Promise<Record<string, any>> {
  for (let i = 0; i < 20; i++) {
    const reply = await get(`/api/submissions/${id}?wait=true`, headers);
    expect(reply.status).toBe(200);
    if (reply.json.status !== 'queued' && reply.json.status !== 'running') return reply.json;
  }
  throw new Error(`submission ${id} did not finish`);
}

describe('base64, both ways', () => {
  test('a program writing every byte 0-255 gets them back exactly (not U+FFFD), on stdout, stderr and output', async () => {
    const code = 'import sys\nsys.stdout.buffer.write(bytes(range(256)))\nsys.stdout.flush()\nsys.stderr.buffer.write(b"\\xff\\xfe err")';
    const reply = await post('/api/execute', { language: 'python', code: b64(code), encoding: 'base64' });
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ status: 'ok', encoding: 'base64' });
    expect(bytesOf(reply.json.stdout).equals(ALL_BYTES)).toBe(true);
    expect(bytesOf(reply.json.stderr).equals(Buffer.from([0xff, 0xfe, ...Buffer.from(' err')]))).toBe(true);
    expect(bytesOf(reply.json.output).length).toBe(256 + 6);
    // without base64 the same bytes are text, invalid UTF-8 as U+FFFD
    const text = await post('/api/execute', { language: 'python', code });
    expect(text.json.encoding).toBeUndefined();
    expect(text.json.stdout).toContain('\uFFFD');
  });

  test('stdin and files as bytes: the program reads exactly what was sent', async () => {
    const code = 'import sys, hashlib\ndata = sys.stdin.buffer.read()\nblob = open("blob.bin", "rb").read()\nprint(len(data), hashlib.sha256(data).hexdigest()[:16], len(blob), blob[:3].hex())';
    const stdin = Buffer.concat([ALL_BYTES, ALL_BYTES]);
    const blob = Buffer.from([0x00, 0xc3, 0x28, 0xff]);
    const reply = await post('/api/execute', {
      language: 'python',
      encoding: 'base64',
      files: [
        { name: 'main.py', content: b64(code) },
        { name: 'blob.bin', content: b64(blob) },
      ],
      stdin: b64(stdin),
    });
    expect(reply.status).toBe(200);
    const sha = (await import('node:crypto')).createHash('sha256').update(stdin).digest('hex').slice(0, 16);
    expect(bytesOf(reply.json.stdout).toString()).toBe(`512 ${sha} 4 00c328\n`);
  });

  test("a compile error's message comes as base64 too (compile.output and output)", async () => {
    const reply = await post('/api/execute', { language: 'cpp', code: b64('int main() { return x; }'), encoding: 'base64' });
    expect(reply.json.status).toBe('compile_error');
    expect(bytesOf(reply.json.compile.output).toString()).toMatch(/x. was not declared/);
    expect(bytesOf(reply.json.output).toString()).toMatch(/x. was not declared/);
  });

  test('base64 that is not, code that is not UTF-8 and an unknown encoding are 400s naming the field', async () => {
    const bad = async (body: Record<string, unknown>, field: string) => {
      const reply = await post('/api/execute', { language: 'python', encoding: 'base64', ...body });
      expect({ status: reply.status, field: reply.json.field }).toEqual({ status: 400, field });
    };
    await bad({ code: 'print(1)!' }, 'code');
    await bad({ code: b64(Buffer.from([0x70, 0xff, 0xfe])) }, 'code');
    await bad({ code: b64('print(1)'), stdin: '@@@' }, 'stdin');
    await bad({ files: [{ name: 'main.py', content: b64('print(1)') }, { name: 'x.bin', content: 'no!' }] }, 'files[1].content');
    // the entry of several files is source: text
    await bad({ files: [{ name: 'main.py', content: b64(Buffer.from([0xff])) }] }, 'files[0]');
    const unknown = await post('/api/execute', { language: 'python', code: 'print(1)', encoding: 'hex' });
    expect({ status: unknown.status, field: unknown.json.field }).toEqual({ status: 400, field: 'encoding' });
  });

  test('a base64 submission: bytes in, bytes out (GET, the list and a verdict against a base64 expected output)', async () => {
    const code = 'import sys\nsys.stdout.buffer.write(bytes(range(256)))';
    const created = await post('/api/submissions', { language: 'python', code: b64(code), encoding: 'base64', stdin: b64(ALL_BYTES) });
    expect(created.status).toBe(202);
    const done = await finished(created.json.id);
    expect(done).toMatchObject({ status: 'ok', encoding: 'base64' });
    expect(bytesOf(done.stdout).equals(ALL_BYTES)).toBe(true);
    const listed = await get(`/api/submissions?ids=${created.json.id}`);
    expect(bytesOf(listed.json.submissions[0].stdout).equals(ALL_BYTES)).toBe(true);
    const judged = await post('/api/submissions', { language: 'python', code: b64('print("h\\u00e9llo  ")'), expectedOutput: b64('héllo\n'), encoding: 'base64' });
    expect((await finished(judged.json.id)).verdict).toBe('accepted');
  });
});

describe('wait=true on create', () => {
  test('answers 201 with the finished submission (and Location) when it runs within the wait', async () => {
    const reply = await post('/api/submissions?wait=true', python('print(input()[::-1])', { stdin: 'runbox', expectedOutput: 'xobnur' }));
    expect(reply.status).toBe(201);
    expect(reply.headers.get('location')).toBe(`/api/submissions/${reply.json.id}`);
    expect(reply.json).toMatchObject({ status: 'ok', stdout: 'xobnur\n', verdict: 'accepted' });
    expect((await get(`/api/submissions/${reply.json.id}`)).json).toEqual(reply.json);
  });

  test('past RUNBOX_SUBMISSION_WAIT_MS it answers 202 with the id, as without wait', async () => {
    let quick: TestRunbox | undefined;
    try {
      quick = await startTestRunbox({ RUNBOX_INSTANCE: subInstance(1), RUNBOX_USER_POOL: '1', RUNBOX_SUBMISSION_WAIT_MS: '300' });
      const reply = await quick.request('POST', '/api/submissions?wait=true', python('import time\ntime.sleep(2)\nprint("late")'));
      expect(reply.status).toBe(202);
      expect(Object.keys(reply.json)).toEqual(['id']);
      let done: HttpReply;
      do done = await quick.request('GET', `/api/submissions/${reply.json.id}?wait=true`);
      while (done.json.status === 'queued' || done.json.status === 'running');
      expect(done.json.stdout).toBe('late\n');
    } finally {
      await quick?.shutdown();
    }
  });

  test('wait=false and a malformed wait', async () => {
    expect((await post('/api/submissions?wait=false', python('print(1)'))).status).toBe(202);
    const bad = await post('/api/submissions?wait=soon', python('print(1)'));
    expect({ status: bad.status, field: bad.json.field }).toEqual({ status: 400, field: 'wait' });
  });
});

describe('Idempotency-Key', () => {
  test('the same key and body answer what the first request was answered, and nothing runs twice', async () => {
    const owner = await createKey('retrying client');
    const key = { 'idempotency-key': 'retry-me-0001', ...bearer(owner) };
    const body = python('import time\ntime.sleep(0.2)\nprint("once")');
    const first = await post('/api/submissions', body, key);
    expect(first.status).toBe(202);
    const again = await post('/api/submissions', body, key);
    expect(again.status).toBe(202);
    expect(again.json).toEqual(first.json);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    // field order does not make another body; a quoted key (the draft's sf-string) is the same key
    const reordered = await post('/api/submissions', { code: body.code, language: 'python' }, { ...key, 'idempotency-key': '"retry-me-0001"' });
    expect(reordered.json.id).toBe(first.json.id);
    // one submission was queued, and one run counted in the key's usage
    expect((await get('/api/submissions', bearer(owner))).json.submissions.map((s: { id: string }) => s.id)).toEqual([first.json.id]);
    await finished(first.json.id, bearer(owner));
    expect((await get(`/api/admin/keys/${owner.id}/usage`, admin)).json.total.runs).toBe(1);
    // with wait=true the first answer was 201: so is every replay, with the result
    const waited = await post('/api/submissions?wait=true', python('print(2)'), { 'idempotency-key': 'retry-me-0002' });
    expect(waited.status).toBe(201);
    const replayed = await post('/api/submissions?wait=true', python('print(2)'), { 'idempotency-key': 'retry-me-0002' });
    expect({ status: replayed.status, body: replayed.json }).toEqual({ status: 201, body: waited.json });
  });

  test('another body with the same key is a 422; a request still in flight with the key a 409', async () => {
    const key = { 'idempotency-key': 'retry-me-0003' };
    const slow = python('import time\ntime.sleep(2)\nprint("slow")');
    // two at once: the first to claim the key holds it while it waits for its run, the other is told so
    const both = await Promise.all([post('/api/submissions?wait=true', slow, key), post('/api/submissions?wait=true', slow, key)]);
    expect(both.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(both.find((r) => r.status === 409)!.json).toMatchObject({ error: 'Conflict', field: 'Idempotency-Key' });
    const other = await post('/api/submissions', python('print("another")'), key);
    expect({ status: other.status, field: other.json.field }).toEqual({ status: 422, field: 'Idempotency-Key' });
  });

  test("keys are the caller's own: the same key under another API key is another request", async () => {
    const [a, b] = [await createKey('idempotency a'), await createKey('idempotency b')];
    const key = { 'idempotency-key': 'shared-looking-key' };
    const ofA = await post('/api/submissions', python('print("a")'), { ...bearer(a), ...key });
    const ofB = await post('/api/submissions', python('print("a")'), { ...bearer(b), ...key });
    expect([ofA.status, ofB.status]).toEqual([202, 202]);
    expect(ofA.json.id).not.toBe(ofB.json.id);
  });

  test('a refused request (400) leaves the key free; a malformed key and a key on a batch are 400s', async () => {
    const key = { 'idempotency-key': 'retry-me-0004' };
    expect((await post('/api/submissions', { language: 'cobol', code: 'x' }, key)).status).toBe(400);
    expect((await post('/api/submissions', python('print(4)'), key)).status).toBe(202);
    for (const bad of ['', 'has space', 'x'.repeat(256)]) {
      const reply = await post('/api/submissions', python('print(4)'), { 'idempotency-key': bad });
      expect({ bad, status: reply.status, field: reply.json.field }).toEqual({ bad, status: 400, field: 'Idempotency-Key' });
    }
    const batch = await post('/api/submissions/batch', { submissions: [python('print(1)')] }, key);
    expect({ status: batch.status, field: batch.json.field }).toEqual({ status: 400, field: 'Idempotency-Key' });
  });
});

describe('listing and deleting', () => {
  test("a key lists its own submissions newest first, page by page, filtered by state, language and time; anonymous callers have no list", async () => {
    const key = await createKey('lister');
    const other = await createKey('someone else');
    const before = new Date().toISOString();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await post('/api/submissions?wait=true', python(`print(${i})`), bearer(key))).json.id);
    ids.push((await post('/api/submissions?wait=true', { language: 'javascript', code: 'console.log(5)' }, bearer(key))).json.id);
    await post('/api/submissions', python('print("not mine")'), bearer(other));
    const newestFirst = [...ids].reverse();

    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const reply: HttpReply = await get(`/api/submissions?limit=4${cursor ? `&cursor=${cursor}` : ''}`, bearer(key));
      expect(reply.status).toBe(200);
      pages.push(reply.json.submissions.map((s: { id: string }) => s.id));
      cursor = reply.json.nextCursor;
    } while (cursor);
    expect(pages).toEqual([newestFirst.slice(0, 4), newestFirst.slice(4)]);

    const python3 = await get('/api/submissions?language=py&state=finished', bearer(key));
    expect(python3.json.submissions.map((s: { id: string }) => s.id)).toEqual(newestFirst.slice(1));
    expect((await get('/api/submissions?state=queued,running', bearer(key))).json).toEqual({ submissions: [], nextCursor: null });
    const later = await get(`/api/submissions?createdFrom=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`, bearer(key));
    expect(later.json.submissions).toEqual([]);
    const inRange = await get(`/api/submissions?createdFrom=${encodeURIComponent(before)}&createdBefore=${encodeURIComponent(new Date(Date.now() + 1000).toISOString())}`, bearer(key));
    expect(inRange.json.submissions).toHaveLength(6);
    // the admin sees every key's
    const all = await get('/api/submissions?limit=100', admin);
    expect(all.json.submissions.map((s: { id: string }) => s.id)).toEqual(expect.arrayContaining([...ids]));

    const anonymous = await get('/api/submissions');
    expect(anonymous.status).toBe(401);
    for (const [query, field] of [
      ['state=done', 'state'],
      ['limit=0', 'limit'],
      ['cursor=zzz', 'cursor'],
      ['createdFrom=yesterday', 'createdFrom'],
      [`ids=${ids[0]}&state=queued`, 'state'],
    ]) {
      const reply = await get(`/api/submissions?${query}`, bearer(key));
      expect({ query, status: reply.status, field: reply.json.field }).toEqual({ query, status: 400, field });
    }
  });

  test("DELETE: a key's own (204, then 404); another key's is a 404; an anonymous one only by the admin; an unfinished one is a 409", async () => {
    const key = await createKey('deleter');
    const stranger = await createKey('stranger');
    const mine = (await post('/api/submissions?wait=true', python('print("mine")'), bearer(key))).json.id;
    expect((await server().request('DELETE', `/api/submissions/${mine}`, undefined, bearer(stranger))).status).toBe(404);
    expect((await server().request('DELETE', `/api/submissions/${mine}`, undefined, bearer(key))).status).toBe(204);
    expect((await get(`/api/submissions/${mine}`, bearer(key))).status).toBe(404);
    expect((await server().request('DELETE', `/api/submissions/${mine}`, undefined, bearer(key))).status).toBe(404);

    const anonymous = (await post('/api/submissions?wait=true', python('print("anon")'))).json.id;
    const refused = await server().request('DELETE', `/api/submissions/${anonymous}`);
    expect(refused.status).toBe(403);
    expect((await server().request('DELETE', `/api/submissions/${anonymous}`, undefined, admin)).status).toBe(204);

    const slow = (await post('/api/submissions', python('import time\ntime.sleep(3)'), bearer(key))).json.id;
    const early = await server().request('DELETE', `/api/submissions/${slow}`, undefined, bearer(key));
    expect(early.status).toBe(409);
    await finished(slow, bearer(key));
    expect((await server().request('DELETE', `/api/submissions/${slow}`, undefined, bearer(key))).status).toBe(204);
  });

  test('a deleted submission is gone from the database files, not just hidden (and its Idempotency-Key is free again)', async () => {
    const marker = `secret-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const key = { 'idempotency-key': `delete-${marker}` };
    const body = python(`print("${marker}" * 3)`, { stdin: `${marker}-stdin` });
    const created = await post('/api/submissions?wait=true', body, { ...key, ...admin });
    expect(created.status).toBe(201);
    const files = () => readdirSync(server().config.dataDir).map((f) => path.join(server().config.dataDir, f));
    const holding = () => files().filter((f) => readFileSync(f).includes(marker));
    expect(holding().length).toBeGreaterThan(0);
    expect((await server().request('DELETE', `/api/submissions/${created.json.id}`, undefined, admin)).status).toBe(204);
    expect(holding()).toEqual([]);
    const again = await post('/api/submissions', body, { ...key, ...admin });
    expect(again.status).toBe(202);
    expect(again.json.id).not.toBe(created.json.id);
  });
});
