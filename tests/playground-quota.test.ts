import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { PlaygroundBrowser, runAndWait } from './helpers/browser.js';
import { findLeftovers, NOTHING_LEFT } from './helpers/leftovers.js';
import { freePort } from './helpers/net.js';
import { killServerProcesses, startServerProcess, stopServerProcess, type ServerProcess } from './helpers/server-process.js';

/**
 * Anonymous quotas count per visitor, also through the playground's own proxy (`npm start`):
 * the playground passes the visitor's address on, and the API believes it only from the
 * proxy it trusts. Visitors here come from different loopback addresses; the API trusts
 * 127.0.0.1 alone (where the playground is), so 127.0.0.2 and 127.0.0.3 are visitors.
 */

let api: ServerProcess;
let playground: ChildProcess;
let playgroundPort: number;
let browser: PlaygroundBrowser | undefined;

beforeAll(async () => {
  api = await startServerProcess({ RUNBOX_ANON_RUNS_PER_MINUTE: '2', RUNBOX_ANON_CONCURRENT_RUNS: '0', RUNBOX_ANON_RUNS_PER_DAY: '0', RUNBOX_TRUST_PROXY: '127.0.0.1', RUNBOX_USER_POOL: '1' });
  playgroundPort = await freePort();
  playground = spawn(process.execPath, ['frontend/server.ts', '-H', '127.0.0.1', '-p', String(playgroundPort)], {
    env: { ...process.env, RUNBOX_API_URL: api.url, NEXT_TELEMETRY_DISABLED: '1' },
    stdio: 'ignore',
  });
  for (let i = 0; i < 300; i++) {
    if (await fetch(`http://127.0.0.1:${playgroundPort}/`).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the playground did not start (is frontend built? npm run build)');
}, 60000);

afterAll(async () => {
  playground?.kill('SIGTERM');
  // SIGTERM first, as an operator stops it: the server deletes its pooled users itself (a
  // SIGKILL left them for the next untagged server's sweep, and a tagged suite in between
  // counted them as its own leftovers)
  await browser?.close();
  if (api) await stopServerProcess(api);
  await killServerProcesses();
  expect(await findLeftovers()).toEqual(NOTHING_LEFT);
});

/** A run posted to the playground's /api from `from` (a loopback address of this machine). */
function runFrom(from: string, headers: Record<string, string> = {}): Promise<{ status: number; body: { status?: string; quota?: string } }> {
  const body = JSON.stringify({ language: 'python', code: 'print(1)' });
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: playgroundPort, localAddress: from, method: 'POST', path: '/api/execute', headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('anonymous quotas through the playground', () => {
  test('each visitor has a bucket of their own, and a forged X-Forwarded-For does not buy another', async () => {
    expect((await runFrom('127.0.0.2')).body.status).toBe('ok');
    expect((await runFrom('127.0.0.2')).body.status).toBe('ok');
    const over = await runFrom('127.0.0.2');
    expect(over.status).toBe(429);
    expect(over.body.quota).toBe('rate');
    // the visitor's own header goes on, but left of the address the playground saw
    expect((await runFrom('127.0.0.2', { 'x-forwarded-for': '203.0.113.9' })).status).toBe(429);
    // another visitor is not held up by the first one's runs
    expect((await runFrom('127.0.0.3')).body.status).toBe('ok');
  }, 60000);
});

describe('a live run over the quota, in the playground', () => {
  test('the console run says which quota and how long to wait (a browser never sees the upgrade refused)', async () => {
    // the windows are whole minutes: three runs straddling a minute's end would all be let in
    const secondsLeft = 60 - new Date().getUTCSeconds();
    if (secondsLeft < 20) await new Promise((r) => setTimeout(r, secondsLeft * 1000 + 500));
    // Chromium comes from 127.0.0.1: a visitor of its own to the API behind the playground
    browser = await PlaygroundBrowser.start(api.url);
    const page = await browser.openPage();
    await page.evaluate(() => window.runbox!.setCode('print("in")'));
    for (let i = 0; i < 2; i++) {
      await runAndWait(page);
      expect(await page.locator('[data-testid="status-badge"]').innerText()).toBe('Success');
    }
    await runAndWait(page);
    expect(await page.getByTestId('api-error').innerText()).toMatch(/^Too many runs in a short time \(the rate quota\)\. Wait \d+ s and run again\.$/);
    await page.context().close();
  }, 120000);
});
