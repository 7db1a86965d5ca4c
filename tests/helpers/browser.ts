import { afterAll, beforeAll, expect } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { findLeftovers, NOTHING_LEFT } from './leftovers.js';
import { freePort } from './net.js';
import { startTestRunbox, type TestRunbox } from './runbox.js';
import type {} from '../../frontend/lib/test-hooks.js';

/**
 * The built Next.js playground (frontend/server.ts) and a real Chromium (Debian's, driven by
 * playwright-core), for the browser tests. Everything listens on loopback; every URL a page
 * asks for is recorded so a test can prove nothing went to another host.
 */
/** Debian's Chromium, headless, with nothing of its own going to the network. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export class PlaygroundBrowser {
  /** Every URL any page asked for. */
  readonly requested: string[] = [];
  private readonly servers: ChildProcess[] = [];

  private constructor(
    readonly browser: Browser,
    /** the playground in front of the API given to start() */
    public appUrl: string,
  ) {}

  static async start(apiUrl: string): Promise<PlaygroundBrowser> {
    const browser = await launchChromium();
    const it = new PlaygroundBrowser(browser, '');
    try {
      it.appUrl = await it.startPlayground(apiUrl);
    } catch (err) {
      await it.close();
      throw err;
    }
    return it;
  }

  /** Another playground server (frontend/server.ts, as `npm start` runs it) of the built app, talking to apiUrl; stopped by close(). */
  async startPlayground(apiUrl: string): Promise<string> {
    const port = await freePort();
    // its own process group, so close() stops next and anything it started
    const child = spawn(process.execPath, ['frontend/server.ts', '-H', '127.0.0.1', '-p', String(port)], {
      env: { ...process.env, RUNBOX_API_URL: apiUrl, NEXT_TELEMETRY_DISABLED: '1' },
      stdio: 'ignore',
      detached: true,
    });
    this.servers.push(child);
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 300; i++) {
      if (await fetch(url).then((r) => r.ok, () => false)) return url;
      if (child.exitCode !== null) break;
      await sleep(100);
    }
    throw new Error('the playground did not start (is frontend built? npm run build)');
  }

  /** A page at url (the playground by default), once its editor and language list are ready. */
  async openPage(context?: BrowserContext, url = this.appUrl): Promise<Page> {
    const page = await this.newPage(context);
    await page.goto(url);
    await waitForEditor(page);
    return page;
  }

  /** A page that records its requests, not yet navigated anywhere. */
  async newPage(context?: BrowserContext): Promise<Page> {
    const ctx = context ?? (await this.browser.newContext({ viewport: { width: 1280, height: 800 } }));
    const page = await ctx.newPage();
    page.on('request', (r) => this.requested.push(r.url()));
    return page;
  }

  /** Requests that went anywhere but loopback (data: and blob: URLs stay in the page). */
  foreignRequests(): string[] {
    return this.requested.filter((u) => !u.startsWith('http://127.0.0.1:') && !u.startsWith('data:') && !u.startsWith('blob:'));
  }

  async close(): Promise<void> {
    await this.browser.close();
    await Promise.all(
      this.servers.map(async (s) => {
        if (s.exitCode !== null || s.signalCode !== null) return;
        const exited = once(s, 'exit');
        try {
          process.kill(-s.pid!, 'SIGTERM');
        } catch {
          return; // gone already
        }
        await Promise.race([exited, sleep(5000)]);
        try {
          process.kill(-s.pid!, 'SIGKILL');
        } catch {
          // exited on SIGTERM, as it should
        }
      }),
    );
  }
}

/** The Monaco editor is up and the language list came from the API. */
export async function waitForEditor(page: Page): Promise<void> {
  await page.waitForSelector('html[data-editor-ready="true"]', { timeout: 30000 });
  await page.waitForSelector('select[aria-label="Language"]:not([disabled])');
}

/** Where the browser tests put their screenshots. */
export const OUTPUT_DIR = 'test-output';

/**
 * A real runbox API and the built playground in Chromium for one test file: started before
 * its tests, closed after them, and then not one run artifact may be left. Returns getters
 * (both exist only once the file's tests start).
 */
export function usePlayground(env: Record<string, string> = {}): { box: () => TestRunbox; web: () => PlaygroundBrowser } {
  let box: TestRunbox | undefined;
  let web: PlaygroundBrowser | undefined;
  beforeAll(async () => {
    mkdirSync(OUTPUT_DIR, { recursive: true });
    box = await startTestRunbox(env);
    web = await PlaygroundBrowser.start(box.url);
  }, 120000);
  afterAll(async () => {
    await web?.close();
    await box?.shutdown();
    expect(await findLeftovers()).toEqual(NOTHING_LEFT);
  }, 60000);
  return { box: () => box!, web: () => web! };
}

/** Clicks Run and waits until that run is over (its result or an error is shown). */
export async function runAndWait(page: Page, timeout = 60000): Promise<void> {
  const finished = Number(await page.locator('.app').getAttribute('data-runs-finished'));
  await page.getByRole('button', { name: 'Run code' }).click();
  await page.waitForSelector(`.app[data-runs-finished="${finished + 1}"]`, { timeout });
}

/**
 * What the playground's console shows (program output and typed input), once xterm has drawn
 * every write so far: it parses them asynchronously, so a run's last output can still be in
 * its queue when the page says the run finished.
 */
export const consoleText = (page: Page): Promise<string> =>
  page.evaluate(async () => {
    await window.runboxConsole!.drawn();
    return window.runboxConsole!.text();
  });

/** What the console shows in the stderr colour. */
export const consoleStderr = (page: Page): Promise<string> =>
  page.evaluate(async () => {
    await window.runboxConsole!.drawn();
    return window.runboxConsole!.stderr();
  });
