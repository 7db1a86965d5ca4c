import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { zipSync } from 'fflate';
import { idOf } from '../backend/src/http/judge0/protocol.js';
import type { ApiKeyCreated } from '../backend/src/protocol.js';
import { httpRequest, startTestRunbox, subInstance, useRunbox, type HttpReply } from './helpers/runbox.js';

/**
 * Judge0 CE 1.13.1's API under /judge0 against a real runbox server: the requests and
 * answers of Judge0's own API documentation (docs/api/submissions/*.md and the rest, with
 * runbox's language ids where the docs name archived ones), a hello world under every
 * language id this server offers, every submission attribute a client sends and every one
 * it reads back, Base64 both ways (binary output included), wait, fields, batches, DELETE,
 * X-Auth-Token as runbox's API keys (401, 429, another key's token is a 404), a 422 for each
 * bad field, callbacks with PUT to a receiver on 127.0.0.2, and additional_files zips.
 */

const ADMIN_KEY = 'judge0-test-admin-key-0123456789';
const CALLBACK_SECRET = 'judge0-test-callback-secret-0123456789';
// a wall clock well above the limits tested: on a loaded machine CPU time comes slowly
const server = useRunbox({
  RUNBOX_INSTANCE: subInstance(0),
  RUNBOX_ADMIN_KEY: ADMIN_KEY,
  RUNBOX_CALLBACK_SECRET: CALLBACK_SECRET,
  RUNBOX_CALLBACK_ALLOW: '127.0.0.2',
  RUNBOX_RUN_TIME_MS: '20000',
  RUNBOX_SUBMISSION_WAIT_MS: '120000',
  RUNBOX_USER_POOL: '2',
});

type Json = Record<string, any>;

const j0 = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpReply> =>
  httpRequest(`${server().url}/judge0${path}`, method, body, headers);
const authUser = { 'x-auth-user': ADMIN_KEY };

/** POST /submissions, expecting 201; the token. */
async function create(body: Json, query = '', headers: Record<string, string> = {}): Promise<string> {
  const reply = await j0('POST', `/submissions${query}`, body, headers);
  if (reply.status !== 201) throw new Error(`create answered ${reply.status}: ${reply.text}`);
  expect(typeof reply.json.token).toBe('string');
  return reply.json.token;
}

/** Reads a submission until it has run (status past 1 In Queue and 2 Processing). */
async function finished(token: string, query = '', headers: Record<string, string> = {}, timeoutMs = 180_000): Promise<Json> {
  const deadline = Date.now() + timeoutMs;
  const separator = query ? '&' : '?';
  for (;;) {
    const reply = await j0('GET', `/submissions/${token}${query}${separator}fields=*`, undefined, headers);
    if (reply.status !== 200) throw new Error(`GET answered ${reply.status}: ${reply.text}`);
    if (reply.json.status.id > 2) {
      // the asked attributes, read once it has run
      if (!query.includes('fields=')) return reply.json;
      const asked = await j0('GET', `/submissions/${token}${query}`, undefined, headers);
      return asked.json;
    }
    if (Date.now() > deadline) throw new Error(`submission ${token} still ${reply.json.status.description}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Submits with wait=true and every attribute back. */
async function run(body: Json, query = '', headers: Record<string, string> = {}): Promise<Json> {
  const token = await create(body, `?wait=true&fields=*${query}`, headers);
  return finished(token, query ? `?${query.slice(1)}` : '', headers);
}

/** Ruby's Base64.encode64: lines of 60, each with a newline. */
function encode64(bytes: Buffer | string): string {
  const b64 = Buffer.from(bytes).toString('base64');
  return b64.replace(/.{1,60}/g, (line) => `${line}\n`);
}

const zipBase64 = (files: Record<string, string | Uint8Array>, level: 0 | 9 = 9): string =>
  Buffer.from(zipSync(Object.fromEntries(Object.entries(files).map(([name, content]) => [name, typeof content === 'string' ? Buffer.from(content) : content])), { level })).toString('base64');

const createKey = async (body: Json): Promise<ApiKeyCreated> => {
  const reply = await server().request('POST', '/api/admin/keys', body, { authorization: `Bearer ${ADMIN_KEY}` });
  expect(reply.status).toBe(201);
  return reply.json;
};

/** Fixed one-minute windows: a test that counts within one starts early in a fresh one. */
async function freshMinute(needSeconds = 20): Promise<void> {
  const intoMinute = (Date.now() % 60_000) / 1000;
  if (intoMinute > 60 - needSeconds) await new Promise((r) => setTimeout(r, (60 - intoMinute) * 1000 + 200));
}

const HELLO: Record<string, string> = {
  Bash: 'echo "hello, world"',
  C: '#include <stdio.h>\n\nint main(void) {\n  printf("hello, world\\n");\n  return 0;\n}\n',
  'C++': '#include <iostream>\nint main() { std::cout << "hello, world" << std::endl; }\n',
  Go: 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hello, world") }\n',
  Java: 'public class Main { public static void main(String[] args) { System.out.println("hello, world"); } }\n',
  JavaScript: 'console.log("hello, world");\n',
  PHP: '<?php echo "hello, world\\n";\n',
  Python: 'print("hello, world")\n',
  Ruby: 'puts "hello, world"\n',
  Rust: 'fn main() { println!("hello, world"); }\n',
  TypeScript: 'const greeting: string = "hello, world";\nconsole.log(greeting);\n',
};
const languageOf = (name: string) => name.replace(/ \(.*$/, '');

describe("Judge0's statuses, languages and configuration", () => {
  test('GET /statuses: ids 1-14 with Judge0\'s descriptions', async () => {
    const reply = await j0('GET', '/statuses');
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual([
      { id: 1, description: 'In Queue' },
      { id: 2, description: 'Processing' },
      { id: 3, description: 'Accepted' },
      { id: 4, description: 'Wrong Answer' },
      { id: 5, description: 'Time Limit Exceeded' },
      { id: 6, description: 'Compilation Error' },
      { id: 7, description: 'Runtime Error (SIGSEGV)' },
      { id: 8, description: 'Runtime Error (SIGXFSZ)' },
      { id: 9, description: 'Runtime Error (SIGFPE)' },
      { id: 10, description: 'Runtime Error (SIGABRT)' },
      { id: 11, description: 'Runtime Error (NZEC)' },
      { id: 12, description: 'Runtime Error (Other)' },
      { id: 13, description: 'Internal Error' },
      { id: 14, description: 'Exec Format Error' },
    ]);
  });

  test("GET /languages: the ids clients hard-code (the Python SDK's table for 1.13.1 among them), by name, with the real toolchains' versions", async () => {
    const reply = await j0('GET', '/languages');
    expect(reply.status).toBe(200);
    const offered = (await server().request('GET', '/api/languages')).json as { id: string; version: string }[];
    const version = (id: string) => offered.find((l) => l.id === id)?.version;
    // judge0-python's LANGUAGE_TO_LANGUAGE_ID["1.13.1"] for runbox's languages, and the ids the docs name
    const expected: [number, string, string][] = [
      [46, 'bash', 'Bash'],
      [50, 'c', 'C (GCC'],
      [52, 'cpp', 'C++ (GCC'],
      [54, 'cpp', 'C++ (GCC'],
      [60, 'go', 'Go'],
      [62, 'java', 'Java (OpenJDK'],
      [63, 'javascript', 'JavaScript (Node.js'],
      [68, 'php', 'PHP'],
      [71, 'python', 'Python'],
      [72, 'ruby', 'Ruby'],
      [73, 'rust', 'Rust'],
      [74, 'typescript', 'TypeScript'],
    ];
    const listed = reply.json as { id: number; name: string }[];
    for (const [id, runbox, name] of expected) {
      if (!version(runbox)) continue; // not installed here: not offered
      const entry = listed.find((l) => l.id === id);
      expect({ id, name: entry?.name }).toEqual({ id, name: `${name}${name.includes('(') ? ' ' : ' ('}${version(runbox)})` });
    }
    expect(listed.map((l) => l.id)).toEqual(expect.arrayContaining([46, 50, 52, 54, 62, 63, 71, 92, 93, 105]));
    // one name per language, whatever the id
    expect(new Set(listed.map((l) => l.name)).size).toBe(offered.length);
    expect(listed.map((l) => l.name)).toEqual([...listed.map((l) => l.name)].sort((a, b) => a.localeCompare(b, 'en')));
    for (const l of listed) expect(Object.keys(l)).toEqual(['id', 'name']);
  });

  test('GET /languages/all: the same ids, none archived (92 and 100 run Python as 71 does)', async () => {
    const all = (await j0('GET', '/languages/all')).json as { id: number; name: string; is_archived: boolean }[];
    const listed = (await j0('GET', '/languages')).json as { id: number; name: string }[];
    expect(all).toEqual(listed.map((l) => ({ ...l, is_archived: false })));
    const python = listed.find((l) => l.id === 71)!;
    for (const id of [92, 100]) expect(all).toContainEqual({ id, name: python.name, is_archived: false });
  });

  test('GET /languages/{id}: the source file and commands; compile_cmd marks where compiler_options go; an unknown id is a 404', async () => {
    const cpp = await j0('GET', '/languages/54');
    expect(cpp.status).toBe(200);
    expect(cpp.json).toEqual({ id: 54, name: expect.stringMatching(/^C\+\+ \(GCC /), is_archived: false, source_file: 'main.cpp', compile_cmd: expect.stringMatching(/^g\+\+ .* main\.cpp %s$/), run_cmd: './main' });
    const python = await j0('GET', '/languages/92');
    expect(python.json).toEqual({ id: 92, name: expect.stringMatching(/^Python /), is_archived: false, source_file: 'main.py', compile_cmd: null, run_cmd: expect.stringMatching(/python3.* main\.py$/) });
    for (const id of ['150000', '70', 'abc']) {
      const missing = await j0('GET', `/languages/${id}`);
      expect({ id, status: missing.status, body: missing.json }).toEqual({ id, status: 404, body: { status: 404, error: 'Not Found' } });
    }
  });

  test('GET /config_info: every variable of Judge0 1.13.1, the maxima this server has', async () => {
    const reply = await j0('GET', '/config_info');
    expect(reply.status).toBe(200);
    const { config } = server();
    expect(Object.keys(reply.json)).toEqual([
      'maintenance_mode', 'enable_wait_result', 'enable_compiler_options', 'allowed_languages_for_compile_options', 'enable_command_line_arguments',
      'enable_submission_delete', 'enable_callbacks', 'callbacks_max_tries', 'callbacks_timeout', 'enable_additional_files', 'max_queue_size',
      'cpu_time_limit', 'max_cpu_time_limit', 'cpu_extra_time', 'max_cpu_extra_time', 'wall_time_limit', 'max_wall_time_limit', 'memory_limit',
      'max_memory_limit', 'stack_limit', 'max_stack_limit', 'max_processes_and_or_threads', 'max_max_processes_and_or_threads',
      'enable_per_process_and_thread_time_limit', 'allow_enable_per_process_and_thread_time_limit', 'enable_per_process_and_thread_memory_limit',
      'allow_enable_per_process_and_thread_memory_limit', 'max_file_size', 'max_max_file_size', 'number_of_runs', 'max_number_of_runs',
      'redirect_stderr_to_stdout', 'max_extract_size', 'enable_batched_submissions', 'max_submission_batch_size', 'submission_cache_duration',
      'use_docs_as_homepage', 'allow_enable_network', 'enable_network',
    ]);
    expect(reply.json).toMatchObject({
      enable_wait_result: true,
      enable_compiler_options: true,
      allowed_languages_for_compile_options: ['C', 'C++'],
      enable_submission_delete: true,
      enable_callbacks: true,
      max_queue_size: config.submissionQueueMax,
      cpu_time_limit: config.runCpuMs / 1000,
      max_cpu_time_limit: config.runCpuMs / 1000,
      max_wall_time_limit: config.runTimeMs / 1000,
      max_memory_limit: config.runMemoryMb * 1024,
      max_max_processes_and_or_threads: config.runProcesses,
      max_max_file_size: config.outputKb,
      allow_enable_per_process_and_thread_time_limit: false,
      allow_enable_per_process_and_thread_memory_limit: false,
      max_number_of_runs: 20,
      max_submission_batch_size: config.submissionBatchMax,
      allow_enable_network: false,
      enable_network: false,
    });
  });

  test('GET /about and /version: the Judge0 version whose API this is; POST /authenticate and /authorize', async () => {
    const about = await j0('GET', '/about');
    expect(about.json).toEqual({ version: '1.13.1', homepage: null, source_code: null, maintainer: expect.any(String), runbox: expect.any(String) });
    const version = await j0('GET', '/version');
    expect(version.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(version.text).toBe('1.13.1');
    expect((await j0('POST', '/authenticate')).status).toBe(200);
    expect((await j0('POST', '/authenticate', undefined, { 'x-auth-token': 'rbx_unknown0000000.nope' })).status).toBe(401);
    expect((await j0('POST', '/authorize', undefined, authUser)).status).toBe(200);
    expect((await j0('POST', '/authorize', undefined, { 'x-auth-user': 'not-the-admin-key' })).status).toBe(403);
    expect((await j0('POST', '/authorize')).status).toBe(403);
  });

  test('an unknown route and a malformed body answer as Rails does', async () => {
    const missing = await j0('GET', '/nothing/here');
    expect({ status: missing.status, body: missing.json }).toEqual({ status: 404, body: { status: 404, error: 'Not Found' } });
    const malformed = await j0('POST', '/submissions', '{"source_code": ', { 'content-type': 'application/json' });
    expect({ status: malformed.status, body: malformed.json }).toEqual({ status: 400, body: { status: 400, error: 'Bad Request' } });
  });
});

describe('a hello world under every language id', () => {
  test('each id of /languages/all runs its language: a batch per 20, read back as a batch, all Accepted against expected_output', async () => {
    const all = (await j0('GET', '/languages/all')).json as { id: number; name: string }[];
    const submissions = all.map((l) => ({ language_id: l.id, source_code: HELLO[languageOf(l.name)], expected_output: 'hello, world' }));
    expect(submissions.every((s) => s.source_code !== undefined)).toBe(true);
    const tokens: string[] = [];
    for (let i = 0; i < submissions.length; i += 20) {
      const reply = await j0('POST', '/submissions/batch', { submissions: submissions.slice(i, i + 20) });
      expect(reply.status).toBe(201);
      tokens.push(...(reply.json as { token: string }[]).map((t) => t.token));
    }
    expect(tokens).toHaveLength(all.length);
    const results = await Promise.all(tokens.map((t) => finished(t)));
    for (const [i, r] of results.entries()) {
      expect({ id: all[i]!.id, status: r.status, stdout: r.stdout, stderr: r.stderr, language: r.language }).toEqual({
        id: all[i]!.id,
        status: { id: 3, description: 'Accepted' },
        stdout: 'hello, world\n',
        stderr: null,
        language: { id: all[i]!.id, name: all[i]!.name },
      });
      expect(r.exit_code).toBe(0);
      expect(Number(r.time)).toBeGreaterThanOrEqual(0);
      expect(r.memory).toBeGreaterThan(0);
    }
    // the batch read of Judge0's docs: fields token,stdout,stderr,status_id,language_id
    const batch = await j0('GET', `/submissions/batch?tokens=${tokens.slice(0, 3).join(',')}&fields=token,stdout,stderr,status_id,language_id`);
    expect(batch.status).toBe(200);
    expect(batch.json.submissions).toEqual(tokens.slice(0, 3).map((token, i) => ({ language_id: all[i]!.id, stdout: 'hello, world\n', status_id: 3, stderr: null, token })));
    for (const s of batch.json.submissions) expect(Object.keys(s)).toEqual(['language_id', 'stdout', 'status_id', 'stderr', 'token']);
  }, 900_000);
});

describe("the requests and answers of Judge0's API documentation", () => {
  const C_HELLO = '#include <stdio.h>\n\nint main(void) {\n  char name[10];\n  scanf("%s", name);\n  printf("hello, %s\\n", name);\n  return 0;\n}';

  test('create: 201 { token }; a missing language_id and an unknown one are 422s naming it; wall_time_limit over the maximum', async () => {
    const created = await j0('POST', '/submissions', { source_code: C_HELLO, language_id: 50, stdin: 'world' });
    expect(created.status).toBe(201);
    expect(Object.keys(created.json)).toEqual(['token']);
    // a version-4 UUID, as Judge0's tokens are (clients hold them in UUID types)
    expect(created.json.token).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect((await j0('GET', `/submissions/${created.json.token.toUpperCase()}?fields=token`)).json).toEqual({ token: created.json.token });
    const noLanguage = await j0('POST', '/submissions', { source_code: C_HELLO });
    expect({ status: noLanguage.status, body: noLanguage.json }).toEqual({ status: 422, body: { language_id: ["can't be blank"] } });
    const unknown = await j0('POST', '/submissions', { source_code: C_HELLO, language_id: 150000, stdin: 'world', expected_output: 'hello, world' });
    expect({ status: unknown.status, body: unknown.json }).toEqual({ status: 422, body: { language_id: ["language with id 150000 doesn't exist"] } });
    const tooLong = await j0('POST', '/submissions', {
      source_code: C_HELLO, language_id: 50, number_of_runs: 1, stdin: 'Judge0', expected_output: 'hello, Judge0', cpu_time_limit: 1, cpu_extra_time: 0.5,
      wall_time_limit: 100000, memory_limit: 128000, stack_limit: 128000, enable_per_process_and_thread_time_limit: false, enable_per_process_and_thread_memory_limit: false, max_file_size: 1,
    });
    expect({ status: tooLong.status, body: tooLong.json }).toEqual({ status: 422, body: { wall_time_limit: [`must be less than or equal to ${server().config.runTimeMs / 1000}.0`] } });
  });

  test('create with base64_encoded=true, then wait=true: the default eight attributes in the serializer\'s order, Accepted against expected_output', async () => {
    const token = await create({ source_code: Buffer.from(C_HELLO).toString('base64'), language_id: 50, stdin: 'SnVkZ2Uw' }, '?base64_encoded=true');
    const plain = await finished(token);
    expect(plain.stdout).toBe('hello, Judge0\n');
    const waited = await j0('POST', '/submissions?wait=true', { source_code: C_HELLO, language_id: '50', stdin: 'Judge0', expected_output: 'hello, Judge0' });
    expect(waited.status).toBe(201);
    expect(Object.keys(waited.json)).toEqual(['stdout', 'time', 'memory', 'stderr', 'token', 'compile_output', 'message', 'status']);
    expect(waited.json).toEqual({ stdout: 'hello, Judge0\n', time: expect.stringMatching(/^\d+\.\d{1,3}$/), memory: expect.any(Number), stderr: null, token: expect.any(String), compile_output: null, message: null, status: { id: 3, description: 'Accepted' } });
    // GET: the default attributes; base64_encoded=true: Ruby's encode64 of the output (the docs' own)
    const got = await j0('GET', `/submissions/${waited.json.token}`);
    expect(got.json).toEqual(waited.json);
    const encoded = await j0('GET', `/submissions/${waited.json.token}?base64_encoded=true`);
    expect(encoded.json.stdout).toBe('aGVsbG8sIEp1ZGdlMAo=\n');
    const fields = await j0('GET', `/submissions/${waited.json.token}?fields=stdout,stderr,status_id,language_id`);
    expect(fields.json).toEqual({ language_id: 50, stdout: 'hello, Judge0\n', status_id: 3, stderr: null });
  });

  test('wait=true with output that is not UTF-8: 201 { token, error }; GET says the same as a 400; base64_encoded=true shows the bytes', async () => {
    const source = 'import sys\nsys.stdout.buffer.write(bytes(range(256)))';
    const waited = await j0('POST', '/submissions?wait=true', { language_id: 71, source_code: source });
    expect(waited.status).toBe(201);
    expect(waited.json).toEqual({ token: expect.any(String), error: 'some attributes for this submission cannot be converted to UTF-8, use base64_encoded=true query parameter' });
    const got = await j0('GET', `/submissions/${waited.json.token}`);
    expect({ status: got.status, body: got.json }).toEqual({ status: 400, body: { error: 'some attributes for this submission cannot be converted to UTF-8, use base64_encoded=true query parameter' } });
    const batch = await j0('GET', `/submissions/batch?tokens=${waited.json.token}`);
    expect({ status: batch.status, body: batch.json }).toEqual({ status: 400, body: { error: 'some attributes for one or more submissions cannot be converted to UTF-8, use base64_encoded=true query parameter' } });
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const encoded = await j0('GET', `/submissions/${waited.json.token}?base64_encoded=true`);
    expect(encoded.json.stdout).toBe(encode64(bytes));
    expect(encoded.json.status).toEqual({ id: 3, description: 'Accepted' });
    // only the attributes asked for are converted: status alone is fine
    const statusOnly = await j0('GET', `/submissions/${waited.json.token}?fields=token,status`);
    expect(statusOnly.json).toEqual({ token: waited.json.token, status: { id: 3, description: 'Accepted' } });
  });

  test("batch create: { token } for each queued, a refused one's field errors in its place (201); none valid is a 422; the batch sizes", async () => {
    const reply = await j0('POST', '/submissions/batch', {
      submissions: [
        { language_id: 46, source_code: 'echo hello from Bash' },
        { language_id: 123456789, source_code: 'print("hello from Python")' },
        { language_id: 72, source_code: '' },
      ],
    });
    expect(reply.status).toBe(201);
    expect(reply.json).toEqual([{ token: expect.any(String) }, { language_id: ["language with id 123456789 doesn't exist"] }, { source_code: ["can't be blank"] }]);
    expect((await finished(reply.json[0].token)).stdout).toBe('hello from Bash\n');
    const noneValid = await j0('POST', '/submissions/batch', { submissions: [{ language_id: 71 }, { source_code: 'x' }] });
    expect({ status: noneValid.status, body: noneValid.json }).toEqual({ status: 422, body: [{ source_code: ["can't be blank"] }, { language_id: ["can't be blank"] }] });
    const empty = await j0('POST', '/submissions/batch', { submissions: [] });
    expect({ status: empty.status, body: empty.json }).toEqual({ status: 400, body: { error: 'there should be at least one submission in a batch' } });
    const tooMany = await j0('POST', '/submissions/batch', { submissions: Array.from({ length: 21 }, () => ({ language_id: 71, source_code: 'print(1)' })) });
    expect({ status: tooMany.status, body: tooMany.json }).toEqual({ status: 400, body: { error: 'number of submissions in a batch should be less than or equal to 20' } });
    const noTokens = await j0('GET', '/submissions/batch?tokens=');
    expect({ status: noTokens.status, body: noTokens.json }).toEqual({ status: 400, body: { error: 'there should be at least one submission in a batch' } });
    const manyTokens = await j0('GET', `/submissions/batch?tokens=${Array.from({ length: 21 }, () => reply.json[0].token).join(',')}`);
    expect(manyTokens.status).toBe(400);
    // tokens as a header, as Judge0 also reads them; an unknown token is null
    const byHeader = await j0('GET', '/submissions/batch?fields=token', undefined, { tokens: `${reply.json[0].token},nosuchtoken00000` });
    expect(byHeader.json).toEqual({ submissions: [{ token: reply.json[0].token }, null] });
  });

  test('batch create with base64_encoded=true', async () => {
    const reply = await j0('POST', '/submissions/batch?base64_encoded=true', {
      submissions: [
        { language_id: 71, source_code: Buffer.from('print(input()[::-1])').toString('base64'), stdin: Buffer.from('olleh').toString('base64') },
        { language_id: 63, source_code: Buffer.from('console.log("hi")').toString('base64') },
      ],
    });
    expect(reply.status).toBe(201);
    const [a, b] = await Promise.all((reply.json as { token: string }[]).map((t) => finished(t.token)));
    expect([a!.stdout, b!.stdout]).toEqual(['hello\n', 'hi\n']);
  });

  test('DELETE: a finished submission answered in Base64 (fields honoured) and gone; one not yet run is a 400 naming its status', async () => {
    const token = await create({ language_id: 71, source_code: 'print("hello, world")' }, '?wait=true');
    const deleted = await j0('DELETE', `/submissions/${token}`, undefined, authUser);
    expect(deleted.status).toBe(200);
    expect(deleted.json).toEqual({ stdout: 'aGVsbG8sIHdvcmxkCg==\n', time: expect.any(String), memory: expect.any(Number), stderr: null, token, compile_output: null, message: null, status: { id: 3, description: 'Accepted' } });
    expect((await j0('GET', `/submissions/${token}`)).status).toBe(404);
    expect((await j0('DELETE', `/submissions/${token}`, undefined, authUser)).status).toBe(404);
    const slow = await create({ language_id: 71, source_code: 'import time\ntime.sleep(3)' });
    const early = await j0('DELETE', `/submissions/${slow}?fields=token`, undefined, authUser);
    expect(early.status).toBe(400);
    expect(early.json.error).toMatch(/^submission cannot be deleted because its status is (1 \(In Queue\)|2 \(Processing\))$/);
    const done = await finished(slow);
    const withFields = await j0('DELETE', `/submissions/${slow}?fields=token,stdin,status_id`, undefined, authUser);
    expect(withFields.json).toEqual({ stdin: null, status_id: 3, token: done.token });
  });

  test('fields: * is every attribute in the serializer\'s order; an unknown name is a 400 naming each', async () => {
    const token = await create({ language_id: 71, source_code: 'print(1)' }, '?wait=true');
    const all = await j0('GET', `/submissions/${token}?fields=*`);
    expect(Object.keys(all.json)).toEqual([
      'source_code', 'language_id', 'stdin', 'expected_output', 'stdout', 'status_id', 'created_at', 'finished_at', 'time', 'memory', 'stderr', 'token',
      'number_of_runs', 'cpu_time_limit', 'cpu_extra_time', 'wall_time_limit', 'memory_limit', 'stack_limit', 'max_processes_and_or_threads',
      'enable_per_process_and_thread_time_limit', 'enable_per_process_and_thread_memory_limit', 'max_file_size', 'compile_output', 'exit_code',
      'exit_signal', 'message', 'wall_time', 'compiler_options', 'command_line_arguments', 'redirect_stderr_to_stdout', 'callback_url',
      'additional_files', 'enable_network', 'status', 'language',
    ]);
    expect(all.json.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(all.json.finished_at)).toBeGreaterThanOrEqual(Date.parse(all.json.created_at));
    expect(Number(all.json.wall_time)).toBeGreaterThan(0);
    for (const path of [`/submissions/${token}?fields=stdout,foo,bar`, '/submissions/batch?tokens=x&fields=foo']) {
      const bad = await j0('GET', path);
      expect({ path, status: bad.status, body: bad.json }).toEqual({ path, status: 400, body: { error: path.includes('bar') ? 'invalid fields: [foo, bar]' : 'invalid fields: [foo]' } });
    }
    const onCreate = await j0('POST', '/submissions?fields=nope', { language_id: 71, source_code: 'print(1)' });
    expect({ status: onCreate.status, body: onCreate.json }).toEqual({ status: 400, body: { error: 'invalid fields: [nope]' } });
  });

  test('a form-encoded body is read as Rails reads it; In Queue and Processing show no result yet', async () => {
    const res = await fetch(`${server().url}/judge0/submissions`, { method: 'POST', body: new URLSearchParams({ language_id: '71', source_code: 'import time\ntime.sleep(2)\nprint("late")' }) });
    expect(res.status).toBe(201);
    const { token } = (await res.json()) as { token: string };
    const early = (await j0('GET', `/submissions/${token}?fields=status,stdout,time,finished_at,exit_code`)).json;
    expect([1, 2]).toContain(early.status.id);
    expect(early).toMatchObject({ stdout: null, time: null, finished_at: null, exit_code: null });
    expect((await finished(token)).stdout).toBe('late\n');
  });
});

describe('every attribute a client sends, and what comes back', () => {
  test('stdin and expected_output: Accepted ignores trailing whitespace as Judge0 does, Wrong Answer otherwise', async () => {
    const echo = 'import sys\nsys.stdout.write(sys.stdin.read())';
    const accepted = await run({ language_id: 71, source_code: echo, stdin: 'a  \nb\n\n\n', expected_output: 'a\nb' });
    expect(accepted).toMatchObject({ stdin: 'a  \nb\n\n\n', expected_output: 'a\nb', stdout: 'a  \nb\n\n\n', status: { id: 3, description: 'Accepted' } });
    const wrong = await run({ language_id: 71, source_code: echo, stdin: 'a\n b', expected_output: 'a\nb' });
    expect(wrong.status).toEqual({ id: 4, description: 'Wrong Answer' });
    expect(wrong.exit_code).toBe(0);
    const none = await run({ language_id: 71, source_code: 'print(1)' });
    expect(none).toMatchObject({ stdin: null, expected_output: null, status: { id: 3, description: 'Accepted' } });
  });

  test('Base64 both ways: source, binary stdin and expected_output in, the program\'s bytes out', async () => {
    const input = Buffer.from([0xff, 0x00, 0x80, 0x41, 0xfe, 0x0a]);
    const source = 'import sys\ndata = sys.stdin.buffer.read()\nsys.stdout.buffer.write(data[::-1])\nsys.stderr.write("é")';
    const reversed = Buffer.from([...input].reverse());
    const r = await run({ language_id: 71, source_code: Buffer.from(source).toString('base64'), stdin: input.toString('base64'), expected_output: reversed.toString('base64') }, '&base64_encoded=true');
    expect(r.source_code).toBe(encode64(source));
    expect(r.stdin).toBe(encode64(input));
    expect(r.stdout).toBe(encode64(reversed));
    expect(r.expected_output).toBe(encode64(reversed));
    expect(r.stderr).toBe(encode64('é'));
    expect(r.status).toEqual({ id: 3, description: 'Accepted' });
    // the message is encoded too, as the serializer does
    const failed = await run({ language_id: 71, source_code: Buffer.from('raise SystemExit(3)').toString('base64') }, '&base64_encoded=true');
    expect(failed.message).toBe(encode64('Exited with error status 3'));
    // source code must be text once decoded
    const binary = await j0('POST', '/submissions?base64_encoded=true', { language_id: 71, source_code: Buffer.from([0xff, 0xfe, 0x00]).toString('base64') });
    expect({ status: binary.status, body: binary.json }).toEqual({ status: 422, body: { source_code: ['is not valid UTF-8 text (runbox runs source code as text)'] } });
  });

  test('command_line_arguments: split as bash splits them, with Judge0\'s characters removed', async () => {
    const r = await run({ language_id: 71, source_code: 'import sys, json\nprint(json.dumps(sys.argv[1:]))', command_line_arguments: `a "b c" 'd e' f\\ g $HOME|x # not an argument` });
    expect(JSON.parse(r.stdout)).toEqual(['a', 'b c', 'd e', 'f g', 'HOMEx']);
    expect(r.command_line_arguments).toBe(`a "b c" 'd e' f\\ g $HOME|x # not an argument`);
  });

  test('compiler_options: C and C++ take them (-D, -std, -O...); interpreted languages and Java are 422s, and so is a flag that loads code', async () => {
    const c = await run({ language_id: 50, source_code: '#include <stdio.h>\nint main(void) { printf("%s %ld\\n", GREETING, __STDC_VERSION__); return 0; }', compiler_options: '-DGREETING=\\"hi\\" -std=c11 -O0 -Wall' });
    expect(c).toMatchObject({ stdout: 'hi 201112\n', compiler_options: '-DGREETING=\\"hi\\" -std=c11 -O0 -Wall', status: { id: 3 } });
    const cpp = await run({ language_id: 54, source_code: '#include <iostream>\nint main() { std::cout << __cplusplus << std::endl; }', compiler_options: '-std=c++11' });
    expect(cpp.stdout).toBe('201103\n');
    const warned = await run({ language_id: 50, source_code: 'int main(void) { int unused; return 0; }', compiler_options: '-Wall' });
    expect(warned.compile_output).toMatch(/unused/);
    expect(warned.status.id).toBe(3);
    const refusals: [number, string, string][] = [
      [71, '-O2', 'setting compiler options is only allowed for compiled languages'],
      [62, '-Xlint', 'setting compiler options is only allowed for C and C++'],
      [50, '-fplugin=./evil.so', '"-fplugin=./evil.so" is not allowed'],
      [54, '-Wl,-rpath,/tmp', '"-Wl,-rpath,/tmp" is not allowed'],
      [50, 'main.c', '"main.c" is not allowed'],
      [50, '"-O2', 'has an unclosed double quote'],
    ];
    for (const [language_id, compiler_options, message] of refusals) {
      const reply = await j0('POST', '/submissions', { language_id, source_code: 'x', compiler_options });
      expect({ compiler_options, status: reply.status, message: reply.json.compiler_options?.[0]?.slice(0, message.length) }).toEqual({ compiler_options, status: 422, message });
    }
  });

  test('a compile error: Compilation Error, compile_output the compiler\'s, nothing of a run', async () => {
    const r = await run({ language_id: 54, source_code: 'int main() { return undefined_name; }' });
    expect(r).toMatchObject({ status: { id: 6, description: 'Compilation Error' }, stdout: null, stderr: null, time: null, wall_time: null, memory: null, exit_code: null, exit_signal: null, message: null });
    expect(r.compile_output).toMatch(/undefined_name/);
  });

  test('runtime errors by exit code and by signal: NZEC, SIGSEGV, SIGFPE, SIGABRT, Other, with isolate\'s messages', async () => {
    const c = (body: string) => `#include <signal.h>\n#include <stdlib.h>\n#include <stdio.h>\nint main(void) { ${body} }`;
    const cases: [string, number, number | null, number | null, string][] = [
      [c('return 3;'), 11, 3, null, 'Exited with error status 3'],
      [c('volatile int *p = 0; *p = 1; return 0;'), 7, 0, 11, 'Caught fatal signal 11'],
      [c('volatile int a = 7, z = 0; printf("%d", a / z); return 0;'), 9, 0, 8, 'Caught fatal signal 8'],
      [c('abort();'), 10, 0, 6, 'Caught fatal signal 6'],
      [c('raise(SIGTERM); return 0;'), 12, 0, 15, 'Caught fatal signal 15'],
    ];
    const results = await Promise.all(cases.map(([source_code]) => run({ language_id: 50, source_code })));
    for (const [i, [, status, exit_code, exit_signal, message]] of cases.entries()) {
      const r = results[i]!;
      expect({ case: i, status: r.status.id, exit_code: r.exit_code, exit_signal: r.exit_signal, message: r.message }).toEqual({ case: i, status, exit_code, exit_signal, message });
    }
  });

  test('cpu_time_limit, cpu_extra_time, wall_time_limit: Time Limit Exceeded with isolate\'s messages; extra time lets a program finish, still over its limit', async () => {
    const spin = await run({ language_id: 71, source_code: 'while True: pass', cpu_time_limit: 0.5 });
    expect(spin).toMatchObject({ status: { id: 5, description: 'Time Limit Exceeded' }, message: 'Time limit exceeded', cpu_time_limit: '0.5', exit_code: 0, exit_signal: null });
    expect(Number(spin.time)).toBeGreaterThanOrEqual(0.5);
    const work = 'x = 0\nfor i in range(4_000_000):\n    x += i\nprint("done")';
    const graced = await run({ language_id: 71, source_code: work, cpu_time_limit: 0.05, cpu_extra_time: 5 });
    expect(graced).toMatchObject({ status: { id: 5 }, stdout: 'done\n', cpu_extra_time: '5.0', cpu_time_limit: '0.05' });
    const cut = await run({ language_id: 71, source_code: work, cpu_time_limit: 0.05 });
    expect(cut).toMatchObject({ status: { id: 5 }, stdout: null });
    const sleeper = await run({ language_id: 71, source_code: 'import time\ntime.sleep(5)', wall_time_limit: 1 });
    expect(sleeper).toMatchObject({ status: { id: 5 }, message: 'Time limit exceeded (wall clock)', wall_time_limit: '1.0' });
    expect(Number(sleeper.wall_time)).toBeGreaterThanOrEqual(1);
  });

  test('memory_limit (KB): a program over it is killed as isolate reports a cgroup kill (signal 9, Runtime Error (Other))', async () => {
    // volatile: the compiler may not leave out the writes (nor the allocation)
    const source = '#include <stdlib.h>\n#include <stdio.h>\nint main(void) { size_t n = (size_t)200 << 20; volatile char *p = malloc(n); for (size_t i = 0; i < n; i += 4096) p[i] = 1; printf("%d\\n", p[4096]); return 0; }';
    const over = await run({ language_id: 50, source_code: source, memory_limit: 65536 });
    expect(over).toMatchObject({ status: { id: 12, description: 'Runtime Error (Other)' }, exit_signal: 9, message: 'Caught fatal signal 9', memory_limit: 65536 });
    const under = await run({ language_id: 50, source_code: source.replace('200 << 20', '16 << 20'), memory_limit: 65536 });
    expect(under).toMatchObject({ status: { id: 3 }, stdout: '1\n' });
    expect(under.memory).toBeGreaterThanOrEqual(16 * 1024);
  });

  test('max_processes_and_or_threads: a program that needs more threads fails; stack_limit and number_of_runs are taken and shown', async () => {
    // the threads wait for each other: all 8 are alive at once, however fast the machine starts them
    const threads = 'import threading\ngo = threading.Event()\nts = [threading.Thread(target=go.wait, daemon=True) for _ in range(8)]\nfor t in ts: t.start()\ngo.set()\nfor t in ts: t.join()\nprint("ok")';
    const few = await run({ language_id: 71, source_code: threads, max_processes_and_or_threads: 2 });
    expect(few).toMatchObject({ status: { id: 11 }, max_processes_and_or_threads: 2 });
    expect(few.stderr).toMatch(/thread/);
    const enough = await run({ language_id: 71, source_code: threads, max_processes_and_or_threads: 60, stack_limit: 32000, number_of_runs: 3 });
    expect(enough).toMatchObject({ status: { id: 3 }, stdout: 'ok\n', max_processes_and_or_threads: 60, stack_limit: 32000, number_of_runs: 3 });
  });

  test('max_file_size (KB) caps the output: past it, Runtime Error (SIGXFSZ) with the output cut there', async () => {
    const r = await run({ language_id: 71, source_code: 'print("x" * 5000)', max_file_size: 1 });
    expect(r).toMatchObject({ status: { id: 8, description: 'Runtime Error (SIGXFSZ)' }, exit_signal: 25, message: 'Caught fatal signal 25', max_file_size: 1 });
    expect(r.stdout).toBe('x'.repeat(1024));
  });

  test('redirect_stderr_to_stdout: both streams in stdout, in the order they came, stderr null', async () => {
    // apart in time: two writes to the two streams within the same instant may reach the server swapped
    const source = 'import sys, time\nprint("out", flush=True)\ntime.sleep(0.2)\nprint("err", file=sys.stderr, flush=True)\ntime.sleep(0.2)\nprint("out again", flush=True)';
    const r = await run({ language_id: 71, source_code: source, redirect_stderr_to_stdout: true });
    expect(r).toMatchObject({ stdout: 'out\nerr\nout again\n', stderr: null, redirect_stderr_to_stdout: true });
    const apart = await run({ language_id: 71, source_code: source, redirect_stderr_to_stdout: 'false' });
    expect(apart).toMatchObject({ stdout: 'out\nout again\n', stderr: 'err\n', redirect_stderr_to_stdout: false });
  });

  test('enable_network: false is taken (runs have no network); true is refused on a server without it, in Judge0\'s words', async () => {
    const r = await run({ language_id: 71, source_code: 'print(1)', enable_network: false, enable_per_process_and_thread_time_limit: false, enable_per_process_and_thread_memory_limit: false });
    expect(r).toMatchObject({ enable_network: false, enable_per_process_and_thread_time_limit: false, enable_per_process_and_thread_memory_limit: false, status: { id: 3 } });
    const refused = await j0('POST', '/submissions', { language_id: 71, source_code: 'print(1)', enable_network: true });
    expect({ status: refused.status, body: refused.json }).toEqual({ status: 422, body: { enable_network: ['enabling network is not allowed'] } });
  });

  test('additional_files: a zip\'s files beside the program (a module, data, bytes); for C only the source is compiled, a header is included', async () => {
    const python = await run({
      language_id: 71,
      source_code: 'import helper\nblob = open("data/blob.bin", "rb").read()\nprint(helper.shout(open("data.txt").read()), len(blob), sum(blob))',
      additional_files: zipBase64({ 'helper.py': 'def shout(s):\n    return s.strip().upper()\n', 'data.txt': 'hello\n', 'data/blob.bin': Uint8Array.from({ length: 256 }, (_, i) => i) }),
    });
    expect(python).toMatchObject({ stdout: 'HELLO 256 32640\n', status: { id: 3 } });
    expect(Buffer.from(python.additional_files.replace(/\n/g, ''), 'base64').subarray(0, 2).toString()).toBe('PK');
    // extra.c would define main a second time if it were compiled: Judge0 compiles the source alone
    const c = await run({
      language_id: 50,
      source_code: '#include <stdio.h>\n#include "greeting.h"\nint main(void) { puts(GREETING); return 0; }',
      additional_files: zipBase64({ 'greeting.h': '#define GREETING "hi from a header"\n', 'extra.c': 'int main(void) { return 1; }\n' }),
    });
    expect(c).toMatchObject({ stdout: 'hi from a header\n', status: { id: 3 } });
    // a file named as the program's source does not replace it (unzip -n)
    const kept = await run({ language_id: 71, source_code: 'print("the source")', additional_files: zipBase64({ 'main.py': 'print("the archive")' }) });
    expect(kept.stdout).toBe('the source\n');
  });

  test('additional_files that are not a zip, name a path outside the home, or would unpack past the cap are 422s; sizes an archive lies about are not believed past what it declares', async () => {
    const refused: [string, RegExp][] = [
      [Buffer.from('not a zip at all').toString('base64'), /^is not a valid zip archive/],
      [zipBase64({ '../evil.py': 'x' }), /^holds a file whose name must not have \. or \.\. parts/],
      [zipBase64({ 'zeros.bin': new Uint8Array(10 << 20) }), /^must unpack to at most 65528 bytes \(with the source code: RUNBOX_CODE_KB, 64 KiB\)$/],
      [zipBase64(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`f${i}.txt`, 'x']))), /^must hold at most 31 files/],
    ];
    for (const [additional_files, message] of refused) {
      const reply = await j0('POST', '/submissions', { language_id: 71, source_code: 'print(1)', additional_files });
      expect(reply.status).toBe(422);
      expect(reply.json.additional_files[0]).toMatch(message);
    }
    // a 100 KB file whose central directory says 10 bytes: 10 bytes are unpacked
    const zip = Buffer.from(zipSync({ 'data.txt': Buffer.alloc(100_000, 'a') }, { level: 9 }));
    const central = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    zip.writeUInt32LE(10, central + 24);
    const r = await run({ language_id: 71, source_code: 'print(len(open("data.txt").read()))', additional_files: zip.toString('base64') });
    expect(r.stdout).toBe('10\n');
  });

  test('callback_url: the finished submission PUT there, Judge0\'s default attributes in Base64, signed; an address runbox may not call is a 422', async () => {
    const received: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
    const receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.2', () => r()));
    try {
      const url = `http://127.0.0.2:${(receiver.address() as AddressInfo).port}/judge0/callback?secret=abc`;
      const token = await create({ language_id: 71, source_code: 'print("hello, callback")', callback_url: url });
      const deadline = Date.now() + 120_000;
      while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(received).toHaveLength(1);
      const [call] = received;
      expect(call!.method).toBe('PUT');
      expect(call!.url).toBe('/judge0/callback?secret=abc');
      expect(call!.headers['content-type']).toBe('application/json');
      const body = JSON.parse(call!.body);
      expect(Object.keys(body)).toEqual(['stdout', 'time', 'memory', 'stderr', 'token', 'compile_output', 'message', 'status']);
      expect(body).toMatchObject({ stdout: 'aGVsbG8sIGNhbGxiYWNrCg==\n', token, stderr: null, status: { id: 3, description: 'Accepted' } });
      const timestamp = call!.headers['x-runbox-timestamp'];
      expect(call!.headers['x-runbox-signature']).toBe(`sha256=${createHmac('sha256', CALLBACK_SECRET).update(`${timestamp}.${call!.body}`).digest('hex')}`);
      // the URL is the submitter's to see: an anonymous submission's is shown to nobody but the admin
      expect((await j0('GET', `/submissions/${token}?fields=callback_url`)).json).toEqual({ callback_url: null });
      expect((await j0('GET', `/submissions/${token}?fields=callback_url`, undefined, authUser)).json).toEqual({ callback_url: url });
    } finally {
      await new Promise<void>((r) => receiver.close(() => r()));
    }
    for (const callback_url of ['http://10.1.2.3/hook', 'ftp://example.com/hook', 'http://127.0.0.1:1/hook']) {
      const reply = await j0('POST', '/submissions', { language_id: 71, source_code: 'print(1)', callback_url });
      expect({ callback_url, status: reply.status, fields: Object.keys(reply.json) }).toEqual({ callback_url, status: 422, fields: ['callback_url'] });
    }
  });
});

describe('a 422 for each bad field, in Judge0\'s (Rails\') words', () => {
  test('each attribute out of bounds or of the wrong kind', async () => {
    const { config } = server();
    const cpuMax = `${config.runCpuMs / 1000}.0`;
    const base = { language_id: 71, source_code: 'print(1)' };
    const cases: [Json, Json][] = [
      [{ language_id: 71 }, { source_code: ["can't be blank"] }],
      [{ ...base, source_code: '  \n ' }, { source_code: ["can't be blank"] }],
      [{ source_code: 'x' }, { language_id: ["can't be blank"] }],
      [{ ...base, language_id: 'abc' }, { language_id: ["language with id 0 doesn't exist"] }],
      [{ ...base, number_of_runs: 0 }, { number_of_runs: ['must be greater than 0'] }],
      [{ ...base, number_of_runs: 21 }, { number_of_runs: ['must be less than or equal to 20'] }],
      [{ ...base, number_of_runs: 'many' }, { number_of_runs: ['is not a number'] }],
      [{ ...base, cpu_time_limit: -1 }, { cpu_time_limit: ['must be greater than or equal to 0'] }],
      [{ ...base, cpu_time_limit: 1000 }, { cpu_time_limit: [`must be less than or equal to ${cpuMax}`] }],
      [{ ...base, cpu_extra_time: 6 }, { cpu_extra_time: ['must be less than or equal to 5.0'] }],
      [{ ...base, wall_time_limit: 0.5 }, { wall_time_limit: ['must be greater than or equal to 1'] }],
      [{ ...base, memory_limit: 1000 }, { memory_limit: ['must be greater than or equal to 2048'] }],
      [{ ...base, memory_limit: 10 ** 9 }, { memory_limit: [`must be less than or equal to ${config.runMemoryMb * 1024}`] }],
      [{ ...base, stack_limit: 200000 }, { stack_limit: ['must be less than or equal to 128000'] }],
      [{ ...base, max_processes_and_or_threads: 0 }, { max_processes_and_or_threads: ['must be greater than 0'] }],
      [{ ...base, max_processes_and_or_threads: 10 ** 6 }, { max_processes_and_or_threads: [`must be less than or equal to ${config.runProcesses}`] }],
      [{ ...base, enable_per_process_and_thread_time_limit: true }, { enable_per_process_and_thread_time_limit: ['this option cannot be enabled'] }],
      [{ ...base, enable_per_process_and_thread_memory_limit: 'true' }, { enable_per_process_and_thread_memory_limit: ['this option cannot be enabled'] }],
      [{ ...base, max_file_size: -1 }, { max_file_size: ['must be greater than or equal to 0'] }],
      [{ ...base, max_file_size: 10 ** 6 }, { max_file_size: [`must be less than or equal to ${config.outputKb}`] }],
      [{ ...base, language_id: 50, compiler_options: `-O${'2'.repeat(512)}` }, { compiler_options: ['is too long (maximum is 512 characters)'] }],
      [{ ...base, command_line_arguments: 'a'.repeat(513) }, { command_line_arguments: ['is too long (maximum is 512 characters)'] }],
      [{ ...base, command_line_arguments: "it's" }, { command_line_arguments: ['has an unclosed single quote'] }],
      [{ ...base, stdin: 'x'.repeat(config.stdinKb * 1024 + 1) }, { stdin: [`is too long (maximum is ${config.stdinKb} KiB)`] }],
      [{ ...base, source_code: `#${'x'.repeat(config.codeKb * 1024)}` }, { source_code: [`is too long (maximum is ${config.codeKb} KiB)`] }],
      [{ ...base, expected_output: 'x'.repeat(config.outputKb * 1024 + 1) }, { expected_output: [`is too long (maximum is ${config.outputKb} KiB, the output cap)`] }],
      [{ ...base, additional_files: 'bm90IGEgemlw' }, { additional_files: ['is not a valid zip archive (Base64 of a .zip file)'] }],
      [{ ...base, enable_network: 1 }, { enable_network: ['enabling network is not allowed'] }],
      // every field at fault at once, in Judge0's order
      [{ number_of_runs: -1, memory_limit: 'lots', language_id: 999 }, { source_code: ["can't be blank"], number_of_runs: ['must be greater than 0'], memory_limit: ['is not a number'], language_id: ["language with id 999 doesn't exist"] }],
    ];
    for (const [body, errors] of cases) {
      const reply = await j0('POST', '/submissions', body);
      const shown = JSON.stringify(body).slice(0, 100);
      expect({ body: shown, status: reply.status, errors: reply.json }).toEqual({ body: shown, status: 422, errors });
      if (Object.keys(errors).length > 1) expect(Object.keys(reply.json)).toEqual(Object.keys(errors));
    }
    // null or "" is the default, as Judge0 fills defaults before validating
    const defaults = await run({ ...base, cpu_time_limit: null, memory_limit: '', wall_time_limit: null });
    expect(defaults).toMatchObject({ cpu_time_limit: cpuMax, wall_time_limit: `${config.runTimeMs / 1000}.0`, memory_limit: config.runMemoryMb * 1024, status: { id: 3 } });
  });
});

describe('X-Auth-Token: runbox API keys, their quotas and caps, their own submissions', () => {
  test('an unknown key is a 401; a key\'s submission is a 404 to another key and to anonymous callers, the admin (X-Auth-User) reads it', async () => {
    const refused: Record<string, string>[] = [{ 'x-auth-token': 'rbx_unknown0000000.nope' }, { 'x-rapidapi-key': 'not-a-key' }, { 'x-auth-token': '' }];
    for (const headers of refused) {
      const reply = await j0('POST', '/submissions', { language_id: 71, source_code: 'print(1)' }, headers);
      expect({ headers, status: reply.status, error: typeof reply.json.error }).toEqual({ headers, status: 401, error: 'string' });
      expect((await j0('GET', '/statuses', undefined, headers)).status).toBe(401);
    }
    const a = await createKey({ name: 'judge0 tenant a' });
    const b = await createKey({ name: 'judge0 tenant b' });
    const asA = { 'x-auth-token': a.key };
    const asB = { 'x-auth-token': b.key };
    const token = await create({ language_id: 71, source_code: 'print("mine")' }, '?wait=true', asA);
    expect((await j0('GET', `/submissions/${token}`, undefined, asA)).json.stdout).toBe('mine\n');
    // RapidAPI's header names the same key
    expect((await j0('GET', `/submissions/${token}`, undefined, { 'x-rapidapi-key': a.key })).status).toBe(200);
    for (const headers of [asB, {}] as Record<string, string>[]) {
      const reply = await j0('GET', `/submissions/${token}`, undefined, headers);
      expect({ status: reply.status, body: reply.json }).toEqual({ status: 404, body: { status: 404, error: 'Not Found' } });
      expect((await j0('GET', `/submissions/batch?tokens=${token}`, undefined, headers)).json).toEqual({ submissions: [null] });
      expect((await j0('DELETE', `/submissions/${token}`, undefined, headers)).status).toBe(404);
    }
    expect((await j0('GET', `/submissions/${token}`, undefined, authUser)).json.stdout).toBe('mine\n');
    expect((await j0('GET', `/submissions/${token}`, undefined, { 'x-auth-user': 'wrong' })).status).toBe(403);
    // the same submission under runbox's own API, for the same key only
    expect((await server().request('GET', `/api/submissions/${idOf(token)}`, undefined, { authorization: `Bearer ${a.key}` })).json.stdout).toBe('mine\n');
    // the key that made it deletes it
    expect((await j0('DELETE', `/submissions/${token}?fields=token`, undefined, asA)).json).toEqual({ token });
    expect((await j0('GET', `/submissions/${token}`, undefined, asA)).status).toBe(404);
  });

  test('an anonymous submission: anyone holding its token reads it, only the admin deletes it', async () => {
    const token = await create({ language_id: 71, source_code: 'print(1)' }, '?wait=true');
    const key = await createKey({ name: 'judge0 bystander' });
    expect((await j0('GET', `/submissions/${token}`, undefined, { 'x-auth-token': key.key })).status).toBe(200);
    for (const headers of [{}, { 'x-auth-token': key.key }] as Record<string, string>[]) expect((await j0('DELETE', `/submissions/${token}`, undefined, headers)).status).toBe(403);
    expect((await j0('DELETE', `/submissions/${token}`, undefined, authUser)).status).toBe(200);
  });

  test('GET /submissions lists the key\'s own, newest first, a page at a time; the admin sees every one; anonymous callers get 403', async () => {
    const key = await createKey({ name: 'judge0 lister' });
    const as = { 'x-auth-token': key.key };
    const tokens: string[] = [];
    for (let i = 0; i < 3; i++) tokens.push(await create({ language_id: 71, source_code: `print(${i})` }, '', as));
    const first = await j0('GET', '/submissions?per_page=2&fields=token', undefined, as);
    expect(first.json).toEqual({ submissions: [{ token: tokens[2] }, { token: tokens[1] }], meta: { current_page: 1, next_page: 2, prev_page: null, total_pages: 2, total_count: 3 } });
    const second = await j0('GET', '/submissions?page=2&per_page=2&fields=token', undefined, as);
    expect(second.json).toEqual({ submissions: [{ token: tokens[0] }], meta: { current_page: 2, next_page: null, prev_page: 1, total_pages: 2, total_count: 3 } });
    // the admin's list holds them and the others' (an anonymous one here)
    const anonymous = await create({ language_id: 71, source_code: 'print("anonymous")' });
    const admin = await j0('GET', '/submissions?per_page=100&fields=token', undefined, authUser);
    expect(admin.json.meta.total_count).toBeGreaterThan(3);
    expect(admin.json.submissions.map((s: Json) => s.token)).toEqual(expect.arrayContaining([...tokens, anonymous]));
    expect((await j0('GET', '/submissions')).status).toBe(403);
    for (const [query, error] of [['page=0', 'invalid page: 0'], ['per_page=-1', 'invalid per_page: -1']]) {
      const reply = await j0('GET', `/submissions?${query}`, undefined, as);
      expect({ status: reply.status, body: reply.json }).toEqual({ status: 400, body: { error } });
    }
    await Promise.all([...tokens.map((t) => finished(t, '', as)), finished(anonymous)]);
  });

  test("a key's caps are its maxima: a limit above one is a 422 with the cap, and /config_info says so", async () => {
    const key = await createKey({ name: 'judge0 capped', caps: { cpuTimeMs: 1000, memoryMb: 64, outputKb: 8 } });
    const as = { 'x-auth-token': key.key };
    const info = (await j0('GET', '/config_info', undefined, as)).json;
    expect(info).toMatchObject({ cpu_time_limit: 1, max_cpu_time_limit: 1, memory_limit: 65536, max_memory_limit: 65536, max_file_size: 8, max_max_file_size: 8 });
    const over = await j0('POST', '/submissions', { language_id: 71, source_code: 'print(1)', cpu_time_limit: 2, memory_limit: 128000 }, as);
    expect({ status: over.status, body: over.json }).toEqual({ status: 422, body: { cpu_time_limit: ['must be less than or equal to 1.0'], memory_limit: ['must be less than or equal to 65536'] } });
    const within = await run({ language_id: 71, source_code: 'print(1)' }, '', as);
    expect(within).toMatchObject({ cpu_time_limit: '1.0', memory_limit: 65536, max_file_size: 8, status: { id: 3 } });
  });

  test('over a key\'s rate: 429 in Judge0\'s shape with Retry-After; a batch that does not fit queues none', async () => {
    const key = await createKey({ name: 'judge0 rate', ratePerMinute: 2 });
    const as = { 'x-auth-token': key.key };
    await freshMinute();
    await create({ language_id: 71, source_code: 'print(1)' }, '', as);
    const batch = await j0('POST', '/submissions/batch', { submissions: [{ language_id: 71, source_code: 'print(2)' }, { language_id: 71, source_code: 'print(3)' }] }, as);
    expect(batch.status).toBe(429);
    expect(batch.json).toEqual({ error: expect.stringContaining('2 runs per minute') });
    expect(Number(batch.headers.get('retry-after'))).toBeGreaterThan(0);
    await create({ language_id: 71, source_code: 'print(4)' }, '', as);
    const over = await j0('POST', '/submissions', { language_id: 71, source_code: 'print(5)' }, as);
    expect(over.status).toBe(429);
    expect(over.headers.get('ratelimit-limit')).toBe('2');
    expect((await j0('GET', '/submissions?fields=token', undefined, as)).json.meta.total_count).toBe(2);
  });
});

describe('a server of its own: no anonymous clients, a queue of one', () => {
  test('no key where one is needed is a 401 on every route; a full queue is a 503 { error: "queue is full" }', async () => {
    const box = await startTestRunbox({ RUNBOX_INSTANCE: subInstance(1), RUNBOX_ANONYMOUS: 'false', RUNBOX_SUBMISSION_QUEUE_MAX: '1', RUNBOX_ADMIN_KEY: ADMIN_KEY, RUNBOX_USER_POOL: '1' });
    try {
      const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => httpRequest(`${box.url}/judge0${path}`, method, body, headers);
      for (const path of ['/statuses', '/languages', '/config_info', '/about']) expect((await call('GET', path)).status).toBe(401);
      const reply = await call('POST', '/submissions', { language_id: 71, source_code: 'print(1)' });
      expect(reply.status).toBe(401);
      expect(reply.json.error).toMatch(/API key is required/);
      const admin = { 'x-auth-user': ADMIN_KEY };
      const full = await call('POST', '/submissions/batch', { submissions: [{ language_id: 71, source_code: 'print(1)' }, { language_id: 71, source_code: 'print(2)' }] }, admin);
      expect({ status: full.status, body: full.json }).toEqual({ status: 503, body: { error: 'queue is full' } });
      expect(full.headers.get('retry-after')).toBeTruthy();
    } finally {
      await box.shutdown();
    }
  }, 120_000);
});
