import { describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import { liveServerMessageSchema, type LiveServerMessage } from '../backend/src/live-protocol.js';
import type { HealthResponse } from '../backend/src/protocol.js';
import { LiveClient } from './helpers/live.js';
import { useRunbox, type TestRunbox } from './helpers/runbox.js';

/**
 * Live runs (/api/live) with a real WebSocket client against a real server: output as it
 * happens, input while the program runs, kill, every limit, the cap on live runs, and
 * messages that break the protocol. Then the NDJSON stream (POST /api/execute/stream).
 */

const server = useRunbox({ RUNBOX_LIVE_MAX: '6' });
const url = () => server().url;

async function health(box: TestRunbox = server()): Promise<HealthResponse> {
  return (await box.request('GET', '/api/health')).json as HealthResponse;
}

/** Waits until `check` holds, polling; fails with `what` after `ms`. */
async function eventually(check: () => Promise<boolean> | boolean, what: string, ms = 10000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The uid of the process whose command line holds `marker` (a run's argument), if one runs. */
async function uidRunning(marker: string): Promise<string | null> {
  for (const pid of (await readdir('/proc')).filter((n) => /^\d+$/.test(n))) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.includes(marker)) continue;
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
    if (uid && uid !== '0') return uid;
  }
  return null;
}

/** The home of the account with `uid`, while it exists. */
async function homeOf(uid: string): Promise<string | null> {
  const entry = (await readFile('/etc/passwd', 'utf8')).split('\n').find((l) => l.split(':')[2] === uid);
  return entry?.split(':')[5] ?? null;
}

async function uidLeftovers(uid: string): Promise<{ account: boolean; processes: number }> {
  const account = (await homeOf(uid)) !== null;
  let processes = 0;
  for (const pid of (await readdir('/proc')).filter((n) => /^\d+$/.test(n))) {
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    if (/^State:\s+Z/m.test(status)) continue;
    const uids = /^Uid:\s+(.*)$/m.exec(status)?.[1]?.split(/\s+/) ?? [];
    if (uids.includes(uid)) processes++;
  }
  return { account, processes };
}

const slowLines = 'import time\nfor i in range(5):\n    print(f"line {i}")\n    time.sleep(0.5)\n';

describe('output as it happens', () => {
  test('the first line of a slow program arrives seconds before it ends', async () => {
    const live = await LiveClient.start(url(), { language: 'python', code: slowLines });
    const first = await live.waitForOutput('line 0');
    const exit = await live.waitFor((m) => m.type === 'exit');
    expect(exit.at - first.at).toBeGreaterThan(1500);
    expect(live.received.filter((r) => r.message.type === 'stdout').length).toBeGreaterThanOrEqual(5);
    expect(live.text('stdout')).toBe('line 0\nline 1\nline 2\nline 3\nline 4\n');
    expect((exit.message as Extract<LiveServerMessage, { type: 'exit' }>).result).toMatchObject({ status: 'ok', stdout: live.text('stdout'), exitCode: 0 });
    expect(await live.closed).toEqual({ code: 1000, reason: 'run over' });
  });

  test('messages come in the order started, stdout/stderr, exit; the two streams stay apart', async () => {
    const code = 'import sys, time\nprint("out 1")\ntime.sleep(0.1)\nprint("err 1", file=sys.stderr)\ntime.sleep(0.1)\nprint("out 2")\n';
    const live = await LiveClient.start(url(), { language: 'python', code });
    const exit = await live.exit();
    const types = live.messages().map((m) => m.type);
    expect(types[0]).toBe('started');
    expect(types.at(-1)).toBe('exit');
    // unbuffered Python writes a line and its newline apart: runs of one stream are joined
    const output: [string, string][] = [];
    for (const m of live.messages()) {
      if (m.type !== 'stdout' && m.type !== 'stderr') continue;
      const last = output.at(-1);
      if (last?.[0] === m.type) last[1] += m.data;
      else output.push([m.type, m.data]);
    }
    expect(output).toEqual([
      ['stdout', 'out 1\n'],
      ['stderr', 'err 1\n'],
      ['stdout', 'out 2\n'],
    ]);
    expect(exit.result).toMatchObject({ stdout: 'out 1\nout 2\n', stderr: 'err 1\n', output: 'out 1\nerr 1\nout 2\n' });
  });

  test('a character written in two halves arrives whole', async () => {
    const code = 'import sys, time\nsys.stdout.buffer.write(b"\\xe2\\x9c")\nsys.stdout.flush()\ntime.sleep(0.3)\nsys.stdout.buffer.write(b"\\x93 done\\n")\n';
    const live = await LiveClient.start(url(), { language: 'python', code });
    await live.exit();
    expect(live.text()).toBe('✓ done\n');
    expect(live.text()).not.toContain('\uFFFD');
  });

  test('a compiled language sends its compile result before the output', async () => {
    const live = await LiveClient.start(url(), { language: 'cpp', code: '#include <cstdio>\nint main() { puts("compiled"); }\n' });
    const exit = await live.exit(60000);
    const types = live.messages().map((m) => m.type);
    expect(types.indexOf('compile')).toBeGreaterThan(types.indexOf('started'));
    expect(types.indexOf('compile')).toBeLessThan(types.indexOf('stdout'));
    expect(live.messages().find((m) => m.type === 'compile')).toMatchObject({ result: { status: 'ok' } });
    expect(exit.result).toMatchObject({ status: 'ok', stdout: 'compiled\n', compile: { status: 'ok' } });
  });

  test('a compile error ends the run with the compiler output, as /api/execute does', async () => {
    const live = await LiveClient.start(url(), { language: 'cpp', code: 'int main() { return x; }\n' });
    const exit = await live.exit(60000);
    expect(exit.result).toMatchObject({ status: 'compile_error', compile: { status: 'compile_error' } });
    expect(exit.result.compile!.output).toMatch(/main\.cpp:1:\d+: error/);
    expect(live.messages().some((m) => m.type === 'stdout')).toBe(false);
  });
});

describe('input while it runs', () => {
  const prompts: [string, string][] = [
    ['python', 'name = input("name? ")\nprint(f"hello {name}")\n'],
    ['javascript', 'const rl = require("readline").createInterface({ input: process.stdin, output: process.stdout });\nrl.question("name? ", (name) => { console.log(`hello ${name}`); rl.close(); });\n'],
    ['cpp', '#include <iostream>\n#include <string>\nint main() {\n  std::cout << "name? ";\n  std::string name;\n  std::getline(std::cin, name);\n  std::cout << "hello " << name << std::endl;\n}\n'],
    ['java', 'import java.util.Scanner;\npublic class Main {\n  public static void main(String[] a) {\n    System.out.print("name? ");\n    String name = new Scanner(System.in).nextLine();\n    System.out.println("hello " + name);\n  }\n}\n'],
  ];
  test.each(prompts)('%s: the prompt shows, the answer typed after it reaches the program', async (language, code) => {
    const live = await LiveClient.start(url(), { language, code });
    await live.waitForOutput('name? ', 60000);
    await sleep(300); // the program is blocked reading: nothing more comes
    expect(live.text()).toBe('name? ');
    live.send({ type: 'stdin', data: 'Ada\n' });
    await live.waitForOutput('hello Ada\n');
    // stdin is a pipe, not a terminal: Node's readline ends only once its input does
    live.send({ type: 'stdin-eof' });
    const exit = await live.exit();
    expect(exit.result).toMatchObject({ status: 'ok', stdout: 'name? hello Ada\n' });
  });

  test('stdin given at start comes first, typed input after it', async () => {
    const code = 'a = input()\nprint("got", a, flush=True)\nb = input()\nprint("got", b)\n';
    const live = await LiveClient.start(url(), { language: 'python', code, stdin: 'early\n' });
    await live.waitForOutput('got early');
    live.send({ type: 'stdin', data: 'late\n' });
    expect((await live.exit()).result.stdout).toBe('got early\ngot late\n');
  });

  test('stdin-eof is the end of the input', async () => {
    const live = await LiveClient.start(url(), { language: 'python', code: 'import sys\ndata = sys.stdin.read()\nprint(len(data), repr(data))\n' });
    await live.waitFor((m) => m.type === 'started');
    live.send({ type: 'stdin', data: 'abc' });
    live.send({ type: 'stdin', data: 'de' });
    live.send({ type: 'stdin-eof' });
    expect((await live.exit()).result).toMatchObject({ status: 'ok', stdout: "5 'abcde'\n" });
  });

  test('input after stdin-eof is refused with an error; the run goes on', async () => {
    const live = await LiveClient.start(url(), { language: 'python', code: 'import sys, time\nsys.stdin.read()\ntime.sleep(0.5)\nprint("end")\n' });
    live.send({ type: 'stdin-eof' });
    live.send({ type: 'stdin', data: 'late' });
    expect((await live.waitFor((m) => m.type === 'error')).message).toMatchObject({ field: 'stdin', message: expect.stringMatching(/closed/) });
    expect((await live.exit()).result).toMatchObject({ status: 'ok', stdout: 'end\n' });
  });
});

describe('stopping a run', () => {
  test('kill ends an endless loop at once, as killed', async () => {
    const live = await LiveClient.start(url(), { language: 'python', code: 'print("spinning", flush=True)\nwhile True:\n    pass\n' });
    await live.waitForOutput('spinning');
    const sent = performance.now();
    live.send({ type: 'kill' });
    const exit = await live.exit();
    expect(performance.now() - sent).toBeLessThan(1000);
    expect(exit).toMatchObject({ reason: 'stopped by the client', result: { status: 'killed', signal: 'SIGKILL' } });
    expect((await live.closed).code).toBe(1000);
  });

  test('closing the socket kills the run: no process, user or home of it is left', async () => {
    const marker = `live-${randomUUID()}`;
    const code = 'import subprocess, time\nsubprocess.Popen(["sleep", "600"])\nprint("ready", flush=True)\ntime.sleep(600)\n';
    const live = await LiveClient.start(url(), { language: 'python', code, args: [marker] });
    await live.waitForOutput('ready');
    const uid = await uidRunning(marker);
    expect(uid).not.toBeNull();
    const running = await uidLeftovers(uid!);
    expect(running.account).toBe(true);
    expect(running.processes).toBeGreaterThanOrEqual(2); // python and its sleep
    const home = (await homeOf(uid!))!;
    expect(existsSync(home)).toBe(true);
    live.close();
    await eventually(async () => {
      const left = await uidLeftovers(uid!);
      return !left.account && left.processes === 0 && !existsSync(home);
    }, 'the run user, its processes and its home to be gone');
    await eventually(async () => (await health()).runs.live.active === 0, 'the live slot to free');
  });
});

describe('limits', () => {
  test('output over the cap ends the run as output_limit', async () => {
    const live = await LiveClient.start(url(), { language: 'python', code: 'while True:\n    print("x" * 100)\n', limits: { outputKb: 8 } });
    const exit = await live.exit();
    expect(exit.result).toMatchObject({ status: 'output_limit', truncated: true });
    expect(Buffer.byteLength(live.text('stdout'))).toBeLessThanOrEqual(8 * 1024);
  });

  test('memory over the limit ends the run as memory_limit', async () => {
    const live = await LiveClient.start(url(), { language: 'python', code: 'x = bytearray(512 * 1024 * 1024)\nprint(len(x))\n', limits: { memoryMb: 64 } });
    expect((await live.exit()).result.status).toBe('memory_limit');
  });

  test('CPU time is the normal limit, not the live budget', async () => {
    const live = await LiveClient.start(url(), { language: 'python', code: 'while True:\n    pass\n', limits: { cpuTimeMs: 1000 } });
    const exit = await live.exit();
    expect(exit.result.status).toBe('timeout');
    expect(exit.result.timeMs).toBeLessThan(4000);
  });

  test('the wall-clock budget ends a run that waits too long in total', async () => {
    const live = await LiveClient.start(url(), { language: 'python', code: 'import time\nwhile True:\n    print("tick", flush=True)\n    time.sleep(0.2)\n', limits: { timeMs: 1500 } });
    const exit = await live.exit();
    expect(exit.result).toMatchObject({ status: 'timeout' });
    expect(exit.result.timeMs).toBeGreaterThanOrEqual(1500);
    expect(exit.result.timeMs).toBeLessThan(3000);
  });

  test('the wall-clock budget may not be raised past the server maximum', async () => {
    const live = await LiveClient.start(url(), { language: 'python', code: 'print(1)', limits: { timeMs: server().config.liveTimeMs + 1 } });
    expect((await live.waitFor((m) => m.type === 'error')).message).toMatchObject({ field: 'limits.timeMs' });
    expect((await live.closed).code).toBe(1008);
  });
});

describe('messages that break the protocol: an error, then the connection closes', () => {
  const start = { type: 'start', language: 'python', code: 'print(1)' };
  const cases: [string, unknown[], { field?: string; message: RegExp }, number][] = [
    ['not JSON', ['{"type": "start",'], { message: /not valid JSON/ }, 1008],
    ['a JSON value that is not an object', ['[1, 2]'], { message: /JSON object/ }, 1008],
    ['an unknown type', [{ type: 'launch' }], { field: 'type', message: /start, stdin, stdin-eof, resize, kill/ }, 1008],
    ['no type', [{ language: 'python' }], { field: 'type', message: /start, stdin/ }, 1008],
    ['stdin before start', [{ type: 'stdin', data: 'x' }], { message: /first message must be start/ }, 1008],
    ['a field start does not have', [{ ...start, stdn: 'typo' }], { field: 'stdn', message: /not a known field/ }, 1008],
    ['stdin data that is not a string', [start, { type: 'stdin', data: 5 }], { field: 'data', message: /string/ }, 1008],
    ['start twice', [start, start], { message: /start comes once/ }, 1008],
    ['an unsupported language', [{ ...start, language: 'cobol' }], { field: 'language', message: /not supported/ }, 1008],
    ['code over the cap', [{ ...start, code: 'x'.repeat(65 * 1024) }], { field: 'code', message: /at most 64 KiB/ }, 1009],
  ];
  test.each(cases)('%s', async (_name, messages, error, closeCode) => {
    const live = await LiveClient.open(url());
    for (const m of messages) live.ws.send(typeof m === 'string' ? m : JSON.stringify(m));
    const refused = (await live.waitFor((m) => m.type === 'error')).message;
    expect(refused).toMatchObject({ type: 'error', ...(error.field ? { field: error.field } : {}) });
    expect((refused as { message: string }).message).toMatch(error.message);
    expect((await live.closed).code).toBe(closeCode);
  });

  test('a binary message is refused', async () => {
    const live = await LiveClient.open(url());
    live.ws.send(Buffer.from([1, 2, 3]));
    expect((await live.waitFor((m) => m.type === 'error')).message).toMatchObject({ message: 'messages must be JSON text' });
    expect((await live.closed).code).toBe(1003);
  });

  test('a message over the size limit closes the connection (1009) without reading it', async () => {
    const live = await LiveClient.open(url());
    live.ws.send('x'.repeat(4 * 1024 * 1024));
    expect((await live.closed).code).toBe(1009);
  });

  test('a broken message in the middle of a run ends the run too', async () => {
    const live = await LiveClient.start(url(), { language: 'python', code: 'print("up", flush=True)\ninput()\n' });
    await live.waitForOutput('up');
    live.ws.send('nonsense');
    expect((await live.closed).code).toBe(1008);
    expect(live.messages().some((m) => m.type === 'exit')).toBe(false);
    await eventually(async () => (await health()).runs.live.active === 0, 'the slot to free');
  });

  test('the server is unharmed: a live run after all of the above works', async () => {
    const live = await LiveClient.start(url(), { language: 'python', code: 'print("still here")' });
    expect((await live.exit()).result.stdout).toBe('still here\n');
  });

  test('an upgrade to any other path is refused', async () => {
    const ws = new WebSocket(`${url().replace('http', 'ws')}/api/other`);
    const status = await new Promise<number>((resolve) => ws.once('unexpected-response', (_req, res) => resolve(res.statusCode!)));
    expect(status).toBe(404);
  });

  test('GET /api/live without an upgrade says it is a WebSocket', async () => {
    const reply = await server().request('GET', '/api/live');
    expect(reply.status).toBe(426);
    expect(reply.json).toMatchObject({ error: 'Upgrade required' });
  });
});

describe('who may connect', () => {
  const openWithOrigin = (origin: string, headers: Record<string, string> = {}) =>
    LiveClient.open(url(), { headers: { origin, ...headers } }).then(
      (c) => {
        c.close();
        return 101;
      },
      (err: { status: number }) => err.status,
    );
  test('a page of another site cannot open a live run', async () => {
    expect(await openWithOrigin('https://evil.example.net')).toBe(403);
  });
  test('a page of the same origin can', async () => {
    expect(await openWithOrigin(url())).toBe(101);
  });
  test('a page served through a proxy that names its host can', async () => {
    expect(await openWithOrigin('https://runbox.example.com', { 'x-forwarded-host': 'runbox.example.com' })).toBe(101);
  });
});

describe('output as it happens over plain HTTP (NDJSON)', () => {
  test('lines arrive as the program writes them', async () => {
    const res = await fetch(`${url()}/api/execute/stream`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ language: 'python', code: slowLines }) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const opened = performance.now();
    const received: { message: LiveServerMessage; at: number }[] = [];
    let buffered = '';
    const decoder = new TextDecoder();
    const reader = res.body!.getReader();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      buffered += decoder.decode(chunk.value, { stream: true });
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        received.push({ message: liveServerMessageSchema.parse(JSON.parse(buffered.slice(0, newline))), at: performance.now() - opened });
        buffered = buffered.slice(newline + 1);
      }
    }
    expect(buffered).toBe('');
    const first = received.find((r) => r.message.type === 'stdout')!;
    const exit = received.at(-1)!;
    expect(received[0]!.message.type).toBe('started');
    expect(exit.message).toMatchObject({ type: 'exit', result: { status: 'ok', stdout: 'line 0\nline 1\nline 2\nline 3\nline 4\n' } });
    expect(exit.at - first.at).toBeGreaterThan(1500);
  });

  test('a bad body is the usual 400 JSON, before any line', async () => {
    const reply = await server().request('POST', '/api/execute/stream', { language: 'python', code: 'x', limits: { timeMs: 999999 } });
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ error: 'Invalid request', field: 'limits.timeMs' });
  });

  test('hanging up kills the run', async () => {
    const abort = new AbortController();
    const res = await fetch(`${url()}/api/execute/stream`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ language: 'python', code: 'print("busy", flush=True)\nwhile True:\n    pass\n' }), signal: abort.signal });
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('busy')) text += new TextDecoder().decode((await reader.read()).value);
    expect((await health()).runs.active).toBe(1);
    const hungUp = performance.now();
    abort.abort();
    await eventually(async () => (await health()).runs.active === 0, 'the run to be killed', 3000);
    expect(performance.now() - hungUp).toBeLessThan(1500);
  });
});
