import { describe, expect, test } from '@jest/globals';
import { FULL_ISOLATION, useRunbox } from './helpers/runbox.js';

const server = useRunbox();

const ok = { language: 'python', code: 'print(1)' };

describe('the seed client', () => {
  test('{code, language} in, {output} out', async () => {
    const reply = await server().request('POST', '/api/execute', { code: 'print("seed")', language: 'python' });
    expect(reply.status).toBe(200);
    expect(reply.json.output).toBe('seed\n');
  });
});

describe('one invalid field at a time gets a 400 naming it', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['missing language', { code: 'x' }, 'language'],
    ['language is a number', { language: 3, code: 'x' }, 'language'],
    ['language is empty', { language: '', code: 'x' }, 'language'],
    ['missing code', { language: 'python' }, 'code'],
    ['code is an object', { language: 'python', code: { a: 1 } }, 'code'],
    ['stdin is a number', { ...ok, stdin: 5 }, 'stdin'],
    ['args is a string', { ...ok, args: 'a b' }, 'args'],
    ['an arg is a number', { ...ok, args: ['a', 2] }, 'args[1]'],
    ['an arg holds a NUL', { ...ok, args: ['a\u0000b'] }, 'args[0]'],
    ['too many args', { ...ok, args: Array(65).fill('a') }, 'args'],
    ['an arg is too long', { ...ok, args: ['a'.repeat(4097)] }, 'args[0]'],
    ['limits is an array', { ...ok, limits: [1] }, 'limits'],
    ['timeMs is 0', { ...ok, limits: { timeMs: 0 } }, 'limits.timeMs'],
    ['timeMs is negative', { ...ok, limits: { timeMs: -1 } }, 'limits.timeMs'],
    ['timeMs is fractional', { ...ok, limits: { timeMs: 1.5 } }, 'limits.timeMs'],
    ['timeMs is a string', { ...ok, limits: { timeMs: '100' } }, 'limits.timeMs'],
    ['timeMs is over the server maximum', { ...ok, limits: { timeMs: 5001 } }, 'limits.timeMs'],
    ['timeMs is null', { ...ok, limits: { timeMs: null } }, 'limits.timeMs'],
    ['cpuTimeMs is 0', { ...ok, limits: { cpuTimeMs: 0 } }, 'limits.cpuTimeMs'],
    ['memoryMb is 0', { ...ok, limits: { memoryMb: 0 } }, 'limits.memoryMb'],
    ['memoryMb is over the maximum', { ...ok, limits: { memoryMb: 100000 } }, 'limits.memoryMb'],
    ['processes is 0', { ...ok, limits: { processes: 0 } }, 'limits.processes'],
    ['outputKb is negative', { ...ok, limits: { outputKb: -5 } }, 'limits.outputKb'],
    ['an unknown limit', { ...ok, limits: { diskMb: 5 } }, 'limits.diskMb'],
    ['an unknown field', { ...ok, stdn: 'typo' }, 'stdn'],
  ];
  test.each(cases)('%s', async (_name, body, field) => {
    const reply = await server().request('POST', '/api/execute', body);
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ error: 'Invalid request', field });
    expect(reply.json.message).toContain(field);
  });
});

describe('other bad requests', () => {
  test('an unknown language: the seed message, the field and the supported list', async () => {
    const reply = await server().request('POST', '/api/execute', { language: 'cobol', code: 'x' });
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ error: 'Unsupported language', field: 'language' });
    // the core four are always offered; more when their toolchains are installed
    expect(reply.json.supported).toEqual(expect.arrayContaining(['javascript', 'python', 'cpp', 'java']));
  });

  test('code over the cap is 413 naming code', async () => {
    const reply = await server().request('POST', '/api/execute', { language: 'python', code: '#'.repeat(server().config.codeKb * 1024 + 1) });
    expect(reply.status).toBe(413);
    expect(reply.json).toMatchObject({ field: 'code' });
  });

  test('multi-byte code is measured in bytes', async () => {
    const reply = await server().request('POST', '/api/execute', { language: 'python', code: '#' + 'é'.repeat(server().config.codeKb * 512) });
    expect(reply.status).toBe(413);
  });

  test('stdin over the cap is 413 naming stdin', async () => {
    const reply = await server().request('POST', '/api/execute', { ...ok, stdin: 'x'.repeat(server().config.stdinKb * 1024 + 1) });
    expect(reply.status).toBe(413);
    expect(reply.json).toMatchObject({ field: 'stdin' });
  });

  test('a body far over every cap is 413 JSON', async () => {
    const reply = await server().request('POST', '/api/execute', JSON.stringify({ ...ok, stdin: 'x'.repeat(8 * 1024 * 1024) }));
    expect(reply.status).toBe(413);
    expect(reply.json.error).toBe('Payload too large');
  });

  test('a body that is not JSON is 415', async () => {
    const reply = await server().request('POST', '/api/execute', 'language=python&code=print(1)', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(reply.status).toBe(415);
    expect(reply.json.error).toBe('Unsupported media type');
  });

  test('no content type at all is 415', async () => {
    const res = await fetch(`${server().url}/api/execute`, { method: 'POST', body: new Uint8Array([123, 125]) });
    expect(res.status).toBe(415);
  });

  test('malformed JSON is 400 without a stack trace', async () => {
    const reply = await server().request('POST', '/api/execute', '{"language": "python", "code": ');
    expect(reply.status).toBe(400);
    expect(reply.json).toEqual({ error: 'Invalid JSON', message: 'the body is not valid JSON' });
    expect(reply.text).not.toMatch(/\bat .*\.js/);
  });

  test.each([['null'], ['[]'], ['"code"'], ['42']])('a JSON body %s that is not an object is 400', async (raw) => {
    const reply = await server().request('POST', '/api/execute', raw);
    expect(reply.status).toBe(400);
  });

  test('an unknown API path is 404 JSON', async () => {
    const reply = await server().request('GET', '/api/nope');
    expect(reply.status).toBe(404);
    expect(reply.json).toEqual({ error: 'Not found' });
  });
});

describe('languages and health', () => {
  test('languages list id, name, real version, aliases, compiled, template, editor and packages', async () => {
    const reply = await server().request('GET', '/api/languages');
    expect(reply.status).toBe(200);
    const byId = Object.fromEntries(reply.json.map((l: { id: string }) => [l.id, l]));
    // the core four are always installed; more languages are offered when their toolchain is
    expect(Object.keys(byId)).toEqual(expect.arrayContaining(['javascript', 'python', 'cpp', 'java']));
    expect(byId.javascript.version).toBe(process.versions.node);
    for (const lang of reply.json) {
      expect(lang.version).toMatch(/^\d+\.\d+/);
      expect(lang.aliases.length).toBeGreaterThan(0);
      expect(typeof lang.template).toBe('string');
      expect(lang.monaco).toMatch(/^[a-z]/);
      expect(Array.isArray(lang.packages)).toBe(true);
    }
    expect(byId.cpp.compiled).toBe(true);
    expect(byId.python.compiled).toBe(false);
    expect(byId.java).toMatchObject({ monaco: 'java', sourceFile: 'Main.java' });
    expect(byId.python).toMatchObject({ monaco: 'python', sourceFile: 'main.py' });
    expect(byId.cpp.starter).toContain('{title}');
  });

  test('every template runs and says hello', async () => {
    const langs = (await server().request('GET', '/api/languages')).json as { id: string; template: string }[];
    for (const lang of langs) {
      const r = await server().execute({ language: lang.id, code: lang.template });
      expect(r).toMatchObject({ status: 'ok', stdout: 'Hello, world!\n' });
    }
  });

  test('health reports runs and the isolation really in force', async () => {
    // the previous run's cleanup still holds its slot for a moment after its response
    let reply = await server().request('GET', '/api/health');
    for (let i = 0; i < 100 && reply.json.runs.active > 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      reply = await server().request('GET', '/api/health');
    }
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({
      status: 'up',
      runs: { active: 0, queued: 0, concurrency: server().config.concurrency, maxQueue: server().config.maxQueue },
      isolation: FULL_ISOLATION,
    });
    expect(['v1', 'v2']).toContain(reply.json.isolation.cgroup);
  });
});
