import { beforeEach, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import type { HealthResponse } from '../backend/src/protocol.js';
import { PISTON_CONNECT_PATH } from '../backend/src/http/piston/protocol.js';
import { PING_EVERY_MS } from '../backend/src/http/live.js';
import { LiveClient } from './helpers/live.js';
import { useRunbox } from './helpers/runbox.js';

/**
 * Stdin a live run's program does not read stays with the client: past
 * RUNBOX_LIVE_STDIN_BUFFER_KB the server stops reading the connection (TCP back-pressure)
 * instead of keeping the input, on /api/live and on Piston's /api/v2/connect; a program
 * that reads later gets every byte. And the `error` answers to refused input are bounded
 * as output is. A stdin cap far above the buffer, so that the buffer, not the cap, is what
 * holds the input back.
 */

const server = useRunbox({ RUNBOX_STDIN_KB: String(64 * 1024), RUNBOX_LIVE_STDIN_BUFFER_KB: '64' });
const url = () => server().url;

const MiB = 1024 * 1024;
/** what a client sends to a program that never reads */
const FLOOD_BYTES = 32 * MiB;
const CHUNK = 'x'.repeat(64 * 1024);

async function health(): Promise<HealthResponse> {
  return (await server().request('GET', '/api/health')).json as HealthResponse;
}

async function eventually(check: () => Promise<boolean> | boolean, what: string, ms = 20000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * Sends `count` messages one after another, each once the last is written to the socket
 * (a client's kernel takes more only while its peer reads); `written()` is the bytes sent
 * so far. A connection that closes stops it.
 */
function flood(ws: WebSocket, message: unknown, count: number): { written: () => number } {
  const text = JSON.stringify(message);
  let written = 0;
  void (async () => {
    for (let i = 0; i < count; i++) {
      const error = await new Promise<Error | undefined>((resolve) => ws.send(text, resolve));
      if (error) return;
      written += text.length;
    }
  })();
  return { written: () => written };
}

/**
 * How much of a flood the server took off its client once it takes no more (nothing more
 * written for a second), or all of it: what the server read, plus what the kernel's socket
 * buffers hold between the two.
 */
async function takenOnceStalled(sending: { written: () => number }, total: number): Promise<number> {
  let last = -1;
  let sameSince = Date.now();
  await eventually(() => {
    if (sending.written() !== last) {
      last = sending.written();
      sameSince = Date.now();
    }
    return last >= total || Date.now() - sameSince >= 1000;
  }, 'the server to stop taking input', 60000);
  return last;
}

// a program that prints now and then but never reads: it outlives the test's checks, and its
// output tells the server when the client has gone
const NEVER_READS = 'import time\nprint("ready", flush=True)\nwhile True:\n    time.sleep(0.5)\n    print(".", flush=True)\n';

beforeEach(() => eventually(async () => (await health()).runs.live.active === 0, 'the live slots to free'));

describe('stdin a program does not read', () => {
  test('/api/live: 32 MiB of stdin to a program that never reads stays with the client', async () => {
    const live = await LiveClient.start(url(), { language: 'python', code: NEVER_READS });
    await live.waitForOutput('ready');
    const taken = await takenOnceStalled(flood(live.ws, { type: 'stdin', data: CHUNK }, FLOOD_BYTES / CHUNK.length), FLOOD_BYTES);
    // the buffer (64 KiB), a socket read's worth of frames and the kernel's socket buffers
    expect(taken).toBeLessThan(16 * MiB);
    // the run goes on (its output still comes) and hanging up ends it
    const dots = live.received.length;
    await live.waitFor((m) => m.type === 'stdout' && live.received.length > dots);
    live.ws.terminate();
    await eventually(async () => (await health()).runs.live.active === 0, 'the run to end after its client left', 30000);
  });

  test("Piston's /api/v2/connect: the same", async () => {
    const ws = new WebSocket(url().replace(/^http/, 'ws') + PISTON_CONNECT_PATH);
    const closed = new Promise<number>((resolve) => ws.on('close', resolve));
    let output = '';
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { type: string; data?: string };
      if (message.type === 'data') output += message.data;
    });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send(JSON.stringify({ type: 'init', language: 'python', version: '*', files: [{ content: NEVER_READS }] }));
    await eventually(() => output.includes('ready'), 'the program to start', 30000);
    const taken = await takenOnceStalled(flood(ws, { type: 'data', stream: 'stdin', data: CHUNK }, FLOOD_BYTES / CHUNK.length), FLOOD_BYTES);
    expect(taken).toBeLessThan(16 * MiB);
    ws.terminate();
    await closed;
    await eventually(async () => (await health()).runs.live.active === 0, 'the run to end after its client left', 30000);
  });

  test('a program that reads late gets every byte, in order', async () => {
    const code = 'import hashlib, sys, time\nprint("ready", flush=True)\ntime.sleep(2)\ndata = sys.stdin.buffer.read()\nprint(len(data), hashlib.sha256(data).hexdigest())\n';
    const live = await LiveClient.start(url(), { language: 'python', code });
    await live.waitForOutput('ready');
    // numbered lines: a message lost, doubled or out of order changes the digest
    const hash = createHash('sha256');
    let bytes = 0;
    for (let i = 0; bytes < 8 * MiB; i++) {
      const data = `${i} ${CHUNK.slice(0, 4000)}\n`;
      live.send({ type: 'stdin', data });
      hash.update(data);
      bytes += data.length;
    }
    live.send({ type: 'stdin-eof' });
    expect((await live.exit(60000)).result).toMatchObject({ status: 'ok', stdout: `ready\n${bytes} ${hash.digest('hex')}\n` });
  });
});

describe('answers a client does not read', () => {
  test('input refused over and over to a client that reads none of the errors: cut off as for unread output', async () => {
    const live = await LiveClient.start(url(), { language: 'python', code: 'import time\nprint("ready", flush=True)\ntime.sleep(60)\n' });
    await live.waitForOutput('ready');
    live.send({ type: 'stdin-eof' });
    live.ws.pause();
    // each one answered with an error (input after stdin-eof): some 20 MiB of answers
    flood(live.ws, { type: 'stdin', data: '' }, 200_000);
    // before the keep-alive could have cut it off: that takes two unanswered pings
    await eventually(async () => (await health()).runs.live.active === 0, 'the run to be killed', PING_EVERY_MS);
    live.ws.resume();
    expect((await live.closed).code).toBe(1006); // cut off, no closing handshake
    expect(live.messages().some((m) => m.type === 'exit')).toBe(false);
  });
});
