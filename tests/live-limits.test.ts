import { beforeEach, describe, expect, test } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import { PISTON_CONNECT_PATH } from '../backend/src/http/piston/protocol.js';
import type { HealthResponse } from '../backend/src/protocol.js';
import { LiveClient } from './helpers/live.js';
import { useRunbox } from './helpers/runbox.js';

/**
 * Live runs against a server with small live limits: the start timeout, the idle limit, the
 * stdin cap, the cap on live runs (and that live runs leave the one batch slot free), a
 * client that stops reading, and shutdown. One server for the file: servers of one instance
 * tag must not run side by side (a tag's sweep would take another's users).
 */

const server = useRunbox({
  RUNBOX_LIVE_MAX: '2',
  RUNBOX_LIVE_IDLE_MS: '1500',
  // longer than the idle limit: what closes a connection that never starts is this one
  RUNBOX_LIVE_START_TIMEOUT_MS: '2000',
  RUNBOX_STDIN_KB: '1',
  RUNBOX_CONCURRENCY: '1',
  RUNBOX_USER_POOL: '1',
  // output caps far above what the server keeps unsent for one client
  RUNBOX_OUTPUT_KB: '262144',
});
const url = () => server().url;

async function health(): Promise<HealthResponse> {
  return (await server().request('GET', '/api/health')).json as HealthResponse;
}

async function eventually(check: () => Promise<boolean>, what: string, ms = 10000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

// a finished run's slot frees once its processes are gone, just after its exit message
beforeEach(() => eventually(async () => (await health()).runs.live.active === 0, 'the live slots to free'));

describe('the start timeout, the idle limit and the stdin cap', () => {
  test('a run with no input and no output for the idle limit ends as a timeout', async () => {
    const live = await LiveClient.start(url(), { language: 'python', code: 'print("waiting", flush=True)\ninput()\n' });
    await live.waitForOutput('waiting');
    const exit = await live.waitFor((m) => m.type === 'exit');
    expect(exit.message).toMatchObject({ reason: 'no input and no output for 1.5 s', result: { status: 'timeout' } });
  });

  test('output or input keeps a run from idling out', async () => {
    const code = 'import time\nfor i in range(4):\n    time.sleep(1)\n    print(i, flush=True)\nprint("typed", input())\n';
    const live = await LiveClient.start(url(), { language: 'python', code });
    await live.waitForOutput('3\n', 10000);
    await sleep(1000);
    live.send({ type: 'stdin', data: 'late\n' });
    expect((await live.exit()).result).toMatchObject({ status: 'ok', stdout: '0\n1\n2\n3\ntyped late\n' });
  });

  test('connections that never start a run hold the live slots only until the start timeout', async () => {
    const held = [await LiveClient.open(url()), await LiveClient.open(url())];
    await expect(LiveClient.open(url())).rejects.toMatchObject({ status: 503 });
    // a browser's page is told over the WebSocket, which it can read (it cannot read a 503)
    const browser = await LiveClient.open(url(), { headers: { origin: url() } });
    expect((await browser.waitFor((m) => m.type === 'error')).message).toMatchObject({ status: 503, retryAfter: 10, message: expect.stringMatching(/live/) });
    expect((await browser.closed).code).toBe(1013);
    for (const live of held) {
      expect((await live.waitFor((m) => m.type === 'error')).message).toEqual({ type: 'error', message: 'no start message within 2 s' });
      expect(await live.closed).toEqual({ code: 1008, reason: 'no start in time' });
    }
    await eventually(async () => (await health()).runs.live.active === 0, 'the slots to free');
    const next = await LiveClient.start(url(), { language: 'python', code: 'print("in")' });
    expect((await next.exit()).result).toMatchObject({ status: 'ok', stdout: 'in\n' });
  });

  test("Piston's /api/v2/connect without init: closed after the same start timeout, 4001", async () => {
    const ws = new WebSocket(url().replace(/^http/, 'ws') + PISTON_CONNECT_PATH);
    const closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    expect(await closed).toEqual({ code: 4001, reason: 'Initialization Timeout' });
    await eventually(async () => (await health()).runs.live.active === 0, 'the slot to free');
  });

  test('stdin over the cap is refused; the run goes on', async () => {
    const live = await LiveClient.start(url(), { language: 'python', code: 'print("ready", flush=True)\nprint(len(input()))\n' });
    await live.waitForOutput('ready');
    live.send({ type: 'stdin', data: 'x'.repeat(2000) + '\n' });
    expect((await live.waitFor((m) => m.type === 'error')).message).toMatchObject({ field: 'stdin', message: expect.stringMatching(/at most 1 KiB/) });
    live.send({ type: 'stdin', data: 'short\n' });
    expect((await live.exit()).result.stdout).toBe('ready\n5\n');
  });
});

describe('the cap on live runs', () => {
  test('live runs beyond the cap are refused at the upgrade, with the reason', async () => {
    const held = [await LiveClient.open(url()), await LiveClient.open(url())];
    expect((await health()).runs.live).toEqual({ active: 2, max: 2 });
    const refused = await LiveClient.open(url()).then(
      () => null,
      (err: { status: number; body: string; headers: Record<string, string> }) => err,
    );
    expect(refused?.status).toBe(503);
    expect(refused?.headers['retry-after']).toBeDefined();
    expect(JSON.parse(refused!.body)).toMatchObject({ error: 'Too many live runs', message: expect.stringMatching(/2 live runs/) });
    held[0]!.close();
    await eventually(async () => (await health()).runs.live.active === 1, 'a slot to free');
    const next = await LiveClient.open(url());
    for (const c of [held[1]!, next]) c.close();
    await eventually(async () => (await health()).runs.live.active === 0, 'the slots to free');
  });

  test('people thinking do not block the machine: live runs waiting on input leave the run slot free', async () => {
    const waiting = [0, 1].map(() => LiveClient.start(url(), { language: 'python', code: 'print("asking", flush=True)\ninput()\n' }));
    const clients = await Promise.all(waiting);
    for (const c of clients) await c.waitForOutput('asking');
    expect((await health()).runs).toMatchObject({ concurrency: 1, active: 0 });
    const started = performance.now();
    expect(await server().execute({ language: 'python', code: 'print("batch")' })).toMatchObject({ status: 'ok', stdout: 'batch\n' });
    expect(performance.now() - started).toBeLessThan(3000);
    for (const c of clients) c.close();
    await eventually(async () => (await health()).runs.live.active === 0, 'the slots to free');
  });
});

describe('a client that stops reading', () => {
  test('its run is killed instead of its output piling up in the server', async () => {
    const code = 'import sys, time\nwhile True:\n    sys.stdout.write("x" * 65536)\n    time.sleep(0.005)\n';
    const live = await LiveClient.start(url(), { language: 'python', code });
    await live.waitFor((m) => m.type === 'stdout');
    live.ws.pause();
    const rss = process.memoryUsage().rss;
    // unread: well under the 256 MiB the output caps would allow
    await eventually(async () => (await health()).runs.live.active === 0, 'the run to be killed', 20000);
    expect(process.memoryUsage().rss - rss).toBeLessThan(64 * 1024 * 1024);
    live.ws.resume();
    expect((await live.closed).code).toBe(1006); // cut off, no closing handshake
    expect(live.messages().some((m) => m.type === 'exit')).toBe(false);
  });
});

describe('shutdown', () => {
  test('a live run gets the grace time, then is killed; a connection waiting to start is closed', async () => {
    const running = await LiveClient.start(url(), { language: 'python', code: 'print("up", flush=True)\ninput()\n' });
    await running.waitForOutput('up');
    const idle = await LiveClient.open(url());
    const stopping = performance.now();
    // a grace well inside the idle limit: the shutdown, not idleness, ends the run
    await server().shutdown(500);
    expect(performance.now() - stopping).toBeGreaterThanOrEqual(500);
    expect((await running.exit()).result.status).toBe('internal_error');
    expect((await idle.closed).code).toBe(1001);
  });
});
