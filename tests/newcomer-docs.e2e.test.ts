import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { consoleText, OUTPUT_DIR, runAndWait, usePlayground, waitForEditor } from './helpers/browser.js';
import type {} from '../frontend/lib/test-hooks.js';

/**
 * The playground as a newcomer finds it (runbox issue #22), in a real Chromium in front of a
 * real API: the API's reference is one click from every page's navigation and leads back,
 * says how many languages this server really offers, its Try it out on POST /api/execute
 * works as it comes, and axe finds nothing serious on it; a time limit says which one and
 * how large; a Python traceback names main.py and marks its line.
 *
 * A small CPU limit and live wall clock, so that each limit is the one a program hits.
 */
const CPU_MS = 1000;
const LIVE_WALL_MS = 6000;
const { box, web } = usePlayground({ RUNBOX_USER_POOL: '2', RUNBOX_RUN_CPU_MS: String(CPU_MS), RUNBOX_LIVE_TIME_MS: String(LIVE_WALL_MS) });

/** The docs page's own description of the API (Swagger UI renders the document's info.description there). */
const docsDescription = (page: Page) => page.locator('.information-container .info .description').innerText();

async function axeViolations(page: Page): Promise<{ id: string; impact: string; nodes: string[] }[]> {
  await page.addScriptTag({ content: readFileSync('node_modules/axe-core/axe.min.js', 'utf8') });
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const { violations } = await axe.run(document);
    return violations.filter((v) => v.impact === 'critical' || v.impact === 'serious').map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  });
}

/** Opens POST /api/execute on the docs page and presses Try it out: the body it starts from. */
async function tryItOut(page: Page): Promise<string> {
  const operation = page.locator('#operations-runs-execute');
  await operation.locator('.opblock-summary').click({ timeout: 30_000 });
  await operation.locator('.try-out__btn').click({ timeout: 30_000 });
  return operation.locator('textarea.body-param__text').inputValue({ timeout: 30_000 });
}

describe('the API docs, from the playground', () => {
  test("the main navigation links to the API docs; they say this server's number of languages and link back to the playground", async () => {
    const page = await web().openPage();
    const nav = page.getByRole('navigation', { name: 'Pages' });
    const docsLink = nav.getByRole('link', { name: 'API docs' });
    expect(await docsLink.getAttribute('href')).toBe('/api/docs');
    await Promise.all([page.waitForURL('**/api/docs', { waitUntil: 'commit' }), docsLink.click()]);
    await page.waitForSelector('.opblock', { timeout: 60_000 });
    const languages = box().languages.info;
    expect(languages.length).toBeGreaterThan(4);
    const description = await docsDescription(page);
    expect(description).toContain(`${languages.length} languages`);
    for (const l of languages) expect(description).toContain(l.name);
    await page.screenshot({ path: `${OUTPUT_DIR}/newcomer-api-docs.png` });

    const back = page.getByRole('link', { name: /Back to the playground/ });
    await Promise.all([page.waitForURL(`${web().appUrl}/`), back.click()]);
    await waitForEditor(page);
    expect(web().foreignRequests()).toEqual([]);
    await page.context().close();
  }, 120_000);

  test('Try it out on POST /api/execute, with the body it starts from, really runs: 200 and Hello, world!', async () => {
    const page = await web().newPage();
    await page.goto(`${web().appUrl}/api/docs`);
    const filled = JSON.parse(await tryItOut(page));
    expect(filled).toEqual({ language: 'python', code: 'print("Hello, world!")' });
    const operation = page.locator('#operations-runs-execute');
    const answered = page.waitForResponse((r) => r.url() === `${web().appUrl}/api/execute` && r.request().method() === 'POST', { timeout: 60_000 });
    await operation.locator('button.execute').click();
    const answer = await answered;
    expect(answer.status()).toBe(200);
    // the optional visitor key is left empty: a tried-out run is kept in nobody's history (an example key would be everyone's)
    expect(answer.request().headers()['x-runbox-visitor']).toBeUndefined();
    const status = operation.locator('.live-responses-table .response .response-col_status').first();
    await status.waitFor({ timeout: 60_000 });
    expect((await status.innerText()).trim()).toBe('200');
    const body = operation.locator('.live-responses-table .response-col_description .microlight').first();
    expect(JSON.parse(await body.innerText())).toMatchObject({ status: 'ok', stdout: 'Hello, world!\n' });
    await page.context().close();
  }, 120_000);

  test('axe finds nothing critical or serious on the docs page (as it loads, and with an operation tried out)', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      // the page's Content-Security-Policy forbids inline scripts, axe's too: this context lets the test's own in
      const context = await web().browser.newContext({ colorScheme: scheme, viewport: { width: 1280, height: 800 }, bypassCSP: true });
      const page = await context.newPage();
      await page.goto(`${web().appUrl}/api/docs`);
      await page.waitForSelector('.opblock', { timeout: 60_000 });
      expect({ scheme, loaded: await axeViolations(page) }).toEqual({ scheme, loaded: [] });
      await tryItOut(page);
      expect({ scheme, triedOut: await axeViolations(page) }).toEqual({ scheme, triedOut: [] });
      await context.close();
    }
  }, 180_000);
});

describe("the result panel: a time limit in plain words", () => {
  async function run(page: Page, code: string): Promise<void> {
    await page.selectOption('select[aria-label="Language"]', 'python');
    await page.evaluate((c) => window.runbox!.setCode(c), code);
    await runAndWait(page, 60_000);
  }

  test('a CPU-bound program: "Time limit exceeded (CPU time, 1 s)"', async () => {
    const page = await web().openPage();
    await run(page, 'while True:\n    pass\n');
    expect(await page.getByTestId('status-badge').innerText()).toBe('Time limit exceeded');
    expect(await page.locator('.result-head').innerText()).toMatch(/Time limit exceeded\s*\(CPU time, 1 s\)/);
    expect(await page.getByTestId('time-limit-meaning').innerText()).toMatch(/CPU time/);
    await page.context().close();
  }, 90_000);

  test('a sleeping program: "Time limit exceeded (wall clock, 6 s)"', async () => {
    const page = await web().openPage();
    await run(page, 'import time\ntime.sleep(60)\n');
    expect(await page.getByTestId('status-badge').innerText()).toBe('Time limit exceeded');
    expect(await page.locator('.result-head').innerText()).toMatch(/Time limit exceeded\s*\(wall clock, 6 s\)/);
    expect(await page.getByTestId('time-limit-meaning').innerText()).toMatch(/waiting/);
    await page.screenshot({ path: `${OUTPUT_DIR}/newcomer-wall-clock.png` });
    await page.context().close();
  }, 90_000);
});

describe('a Python traceback, as the newcomer sees it', () => {
  test('names main.py, not the run\'s home, and the marker is on the failing line', async () => {
    const page = await web().openPage();
    await page.selectOption('select[aria-label="Language"]', 'python');
    await page.evaluate(() => window.runbox!.setCode('def f():\n    return 1 / 0\n\nf()\n'));
    await runAndWait(page);
    expect(await page.getByTestId('status-badge').innerText()).toBe('Runtime error');
    const shown = await consoleText(page);
    expect(shown).toMatch(/File "main\.py", line 2, in f/);
    expect(shown).not.toMatch(/\/home\/exec_/);
    expect(await page.evaluate(() => window.runboxEditor!.markers())).toEqual([{ line: 2, message: expect.stringMatching(/ZeroDivisionError/) }]);
    await page.context().close();
  }, 90_000);
});
