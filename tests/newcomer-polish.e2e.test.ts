import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page, Response } from 'playwright-core';
import { OUTPUT_DIR, runAndWait, usePlayground, waitForEditor } from './helpers/browser.js';
import type {} from '../frontend/lib/test-hooks.js';

/**
 * The polish a newcomer missed (#22), in a real Chromium against the built playground
 * (frontend/server.ts) and a real runbox API: an icon on every page, the site's own 404 page,
 * the language picker's names, code in the history's rows, Monaco's files kept by browsers,
 * and a mark on the tab of a file the last run's error points into.
 */

const { box, web } = usePlayground();

const MONACO_VERSION = (createRequire(import.meta.url)('monaco-editor/package.json') as { version: string }).version;

/** The responses a page gets, from the moment it is made. */
function recordResponses(page: Page): Response[] {
  const responses: Response[] = [];
  page.on('response', (r) => responses.push(r));
  return responses;
}

/** What axe-core finds critical or serious on the page as it is. */
async function seriousViolations(page: Page): Promise<{ id: string; nodes: string[] }[]> {
  await page.addScriptTag({ content: readFileSync('node_modules/axe-core/axe.min.js', 'utf8') });
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const { violations } = await axe.run(document);
    return violations.filter((v) => v.impact === 'critical' || v.impact === 'serious').map((v) => ({ id: v.id, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  });
}

/** How much wider than the screen the page is drawn (0: it fits). */
const overflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

async function runPython(page: Page, code: string): Promise<void> {
  await page.selectOption('select[aria-label="Language"]', 'python');
  await page.evaluate((c) => window.runbox!.setCode(c), code);
  await runAndWait(page);
}

/** Adds a tab named `name` (its stem typed over the proposed one) and puts `code` in it. */
async function addFile(page: Page, stem: string, code: string): Promise<void> {
  await page.getByRole('button', { name: 'Add a file' }).click();
  await page.keyboard.type(stem);
  await page.keyboard.press('Enter');
  await page.evaluate((c) => window.runbox!.setCode(c), code);
}

describe('the playground as a newcomer found it: polish (#22)', () => {
  test('no request of any page answers 404: every page links its icon, and /favicon.ico is there for browsers that ask anyway', async () => {
    const context = await web().browser.newContext();
    const page = await web().newPage(context);
    const responses = recordResponses(page);
    for (const path of ['/', '/problems', '/status']) {
      await page.goto(`${web().appUrl}${path}`);
      if (path === '/') await waitForEditor(page);
      await page.waitForLoadState('networkidle');
      const icons = await page.locator('link[rel="icon"]').evaluateAll((links) => links.map((l) => (l as HTMLLinkElement).href));
      expect(icons).toEqual(expect.arrayContaining([expect.stringContaining('/icon.svg'), expect.stringContaining('/favicon.ico')]));
      for (const icon of icons) {
        const answer = await fetch(icon);
        expect({ icon, status: answer.status, type: answer.headers.get('content-type') }).toEqual({ icon, status: 200, type: expect.stringMatching(/^image\//) });
      }
    }
    expect(responses.length).toBeGreaterThan(10);
    expect(responses.filter((r) => r.status() >= 400).map((r) => `${r.status()} ${r.url()}`)).toEqual([]);
    await context.close();
  }, 60000);

  test('an address with no page gets the site’s own 404 page (status 404): its header, the address, the ways back; axe finds nothing critical or serious, light or dark', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      const context = await web().browser.newContext({ colorScheme: scheme, viewport: { width: 1280, height: 800 } });
      const page = await web().newPage(context);
      // the page is made once, at build: a hydration mismatch (the address it shows) would be an error here
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => m.type() === 'error' && !/Failed to load resource: .* 404/.test(m.text()) && errors.push(m.text()));
      const answer = await page.goto(`${web().appUrl}/no-such-page`);
      expect(answer!.status()).toBe(404);
      await page.getByRole('heading', { name: 'Page not found' }).waitFor();
      expect(await page.title()).toBe('Page not found · runbox');
      expect(await page.getByTestId('missing-path').innerText()).toBe('/no-such-page');
      // the site's look: its header with the links between pages and the theme, in the visitor's scheme
      expect(await page.getByRole('navigation', { name: 'Pages' }).getByRole('link').allInnerTexts()).toEqual(expect.arrayContaining(['Playground', 'Problems', 'Status']));
      expect(await page.locator('[aria-current="page"]').count()).toBe(0);
      await page.waitForFunction((s) => document.documentElement.dataset.theme === s, scheme);
      expect(await page.getByRole('button', { name: /Switch to (light|dark) theme/ }).count()).toBe(1);
      expect(await seriousViolations(page)).toEqual([]);
      expect(errors).toEqual([]);
      await page.screenshot({ path: `${OUTPUT_DIR}/not-found-${scheme}.png` });
      await context.close();
    }

    // the ways back work: to the problems, and to the playground
    const page = await web().newPage();
    await page.goto(`${web().appUrl}/no-such-page`);
    await page.getByRole('link', { name: 'Browse the problems' }).click();
    await page.waitForURL(`${web().appUrl}/problems`);
    await page.getByRole('heading', { name: 'Problems' }).waitFor();
    await page.goto(`${web().appUrl}/also/not/here`);
    await page.getByRole('link', { name: 'Open the playground' }).click();
    await page.waitForURL(`${web().appUrl}/`);
    await waitForEditor(page);
    await page.context().close();
  }, 60000);

  test('the language picker names each language once with its version: "Python 3.11.x", not "Python 3 3.11.x"', async () => {
    const page = await web().openPage();
    const options = await page.locator('select[aria-label="Language"] option').allInnerTexts();
    const languages = box().languages.info;
    expect(languages.length).toBe(11);
    const python = languages.find((l) => l.id === 'python')!;
    expect(python.name).toBe('Python 3');
    // Python's "3" goes to its version; every other name is whole, its version after it
    expect(options).toEqual(languages.map((l) => (l.id === 'python' ? `Python ${l.version}` : `${l.name} ${l.version}`)));
    expect(options).toContain(`Python ${python.version}`);
    expect(python.version).toMatch(/^3\.\d+\.\d+$/);
    // no number said twice ("3 3.11", "17 17.0"), each version once
    for (const [i, option] of options.entries()) {
      expect(option).not.toMatch(/\b(\d+) \1(\.|$)/);
      expect(option.split(languages[i]!.version).length).toBe(2);
    }
    await page.context().close();
  });

  test('history rows show the first lines of each run’s code, monospace and cut to fit, so runs can be told apart', async () => {
    const context = await web().browser.newContext();
    const page = await web().openPage(context);
    const long = `print("${'x'.repeat(120)}")`;
    await runPython(page, `\n\n# sums\nprint(sum(range(10)))\n${long}\n`);
    await runPython(page, 'print("Hello, world!")\nprint("second run")\n');
    // Java: the lines of its template (public class Main {...) are in every program: the row shows the program's own
    await page.selectOption('select[aria-label="Language"]', 'java');
    await page.evaluate(() => window.runbox!.setCode('public class Main {\n    public static void main(String[] args) {\n        int answer = 6 * 7;\n        System.out.println(answer);\n    }\n}\n'));
    await runAndWait(page, 90000);
    await page.getByRole('button', { name: 'History' }).click();
    const code = page.getByTestId('history-code');
    // the output pane was scrolled down to the console by the runs: the panel comes into view
    // (a row's code is read from the server once the row is seen)
    await page.waitForFunction(() => Array.from(document.querySelectorAll('[data-testid="history-code"]')).filter((c) => c.textContent!.trim() !== '').length === 3);
    // newest first
    expect(await code.allInnerTexts()).toEqual(['int answer = 6 * 7;\nSystem.out.println(answer);', 'print("second run")', `# sums\nprint(sum(range(10)))`]);
    expect(await code.first().evaluate((c) => getComputedStyle(c).fontFamily)).toMatch(/mono/i);
    // a long line is cut with an ellipsis, and never widens the row
    await runPython(page, `${long}\n`);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="history-code"]').length === 4);
    // the run scrolled the console into view; a row's code is read when the row is seen again
    await page.getByTestId('history-entry').first().scrollIntoViewIfNeeded();
    await page.waitForFunction(() => document.querySelector('[data-testid="history-code"]')!.textContent!.endsWith('…'));
    const first = await code.first().innerText();
    expect(first.startsWith('print("xxxx')).toBe(true);
    expect(first.length).toBe(80);
    expect(await page.getByTestId('history-entry').first().evaluate((row) => row.scrollWidth <= row.clientWidth)).toBe(true);
    // each entry's code was read once: the list read again after the fourth run asked only for the new one's
    const reads = web().requested.filter((u) => /^\/api\/history\/[^/]+$/.test(new URL(u).pathname));
    expect(reads.length).toBe(4);
    expect(new Set(reads).size).toBe(4);
    // the row's name says its code too, for a screen reader
    await expect(page.getByTestId('history-entry').nth(1).innerText()).resolves.toMatch(/Java[\s\S]*Run[\s\S]*Success[\s\S]*int answer = 6 \* 7;/);
    await context.close();
  }, 180000);

  test('Monaco’s files come from a versioned path a browser keeps a year (immutable); the editor and its TypeScript worker load from it', async () => {
    const page = await web().newPage();
    const responses = recordResponses(page);
    await page.goto(web().appUrl);
    await waitForEditor(page);
    const monaco = responses.filter((r) => new URL(r.url()).pathname.startsWith('/monaco/'));
    expect(monaco.map((r) => new URL(r.url()).pathname)).toEqual(expect.arrayContaining([`/monaco/${MONACO_VERSION}/vs/loader.js`, `/monaco/${MONACO_VERSION}/vs/editor/editor.main.js`]));
    for (const r of monaco) expect(new URL(r.url()).pathname.startsWith(`/monaco/${MONACO_VERSION}/vs/`)).toBe(true);

    // a real HTTP request to the playground's server, as a browser or a proxy makes it
    for (const file of ['loader.js', 'editor/editor.main.js', 'editor/editor.main.css']) {
      const answer = await fetch(`${web().appUrl}/monaco/${MONACO_VERSION}/vs/${file}`);
      expect({ file, status: answer.status, cache: answer.headers.get('cache-control') }).toEqual({ file, status: 200, cache: 'public, max-age=31536000, immutable' });
    }
    // another version's address (a newer page asking an older server) is a 404 no one keeps
    const other = await fetch(`${web().appUrl}/monaco/0.0.1/vs/loader.js`);
    expect(other.status).toBe(404);
    expect(other.headers.get('cache-control') ?? '').not.toMatch(/immutable|max-age=[1-9]/);
    // the pages themselves are not kept: a new build's page names the new version
    expect((await fetch(web().appUrl)).headers.get('cache-control') ?? '').not.toMatch(/immutable|max-age=[1-9]/);

    // TypeScript's worker, which starts from a blob and loads Monaco by absolute URL, works too
    await page.selectOption('select[aria-label="Language"]', 'typescript');
    await page.evaluate(() => window.runbox!.setCode('const n: number = "text";\n'));
    await page.waitForFunction(() => window.runboxEditor!.markers('typescript').length > 0, undefined, { timeout: 30000 });
    await page.context().close();
  }, 60000);

  test('an error in a file that is not open marks that file’s tab ("utils.py, 1 error") while the other file is open', async () => {
    const context = await web().browser.newContext();
    const page = await web().openPage(context);
    await page.selectOption('select[aria-label="Language"]', 'python');
    await page.evaluate(() => window.runbox!.setCode('from utils import check\n\ncheck(-1)\n'));
    await addFile(page, 'utils', 'def check(n):\n    if n < 0:\n        raise ValueError("negative")\n');
    await page.getByRole('tab', { name: /^main\.py/ }).click();
    expect(await page.getByRole('tab', { selected: true }).getAttribute('data-file')).toBe('main.py');
    expect(await page.getByTestId('tab-problems').count()).toBe(0);

    await runAndWait(page);
    expect(await page.locator('[data-testid="status-badge"]').innerText()).toBe('Runtime error');
    // the open tab is still main.py, which holds no error; utils.py's tab says it has one
    expect(await page.getByRole('tab', { selected: true }).getAttribute('data-file')).toBe('main.py');
    expect(await page.evaluate(() => window.runboxEditor!.markers())).toEqual([]);
    const utils = page.getByRole('tab', { name: 'utils.py, 1 error', exact: true });
    expect(await utils.count()).toBe(1);
    expect(await utils.getByTestId('tab-problems').innerText()).toBe('1');
    expect(await utils.getByTestId('tab-problems').isVisible()).toBe(true);
    expect(await utils.getAttribute('title')).toMatch(/the last run: 1 error/);
    expect(await page.getByRole('tab', { name: 'main.py (entry point)', exact: true }).count()).toBe(1);
    await page.screenshot({ path: `${OUTPUT_DIR}/tab-error-mark.png` });

    // the mark leads to the error: the tab opens on the marked line
    await utils.click();
    expect(await page.evaluate(() => window.runboxEditor!.markers())).toEqual([{ line: 3, message: expect.stringMatching(/ValueError: negative/) }]);

    // a run without the error takes the mark away
    await page.evaluate(() => window.runbox!.setCode('def check(n):\n    return n\n'));
    await runAndWait(page);
    expect(await page.locator('[data-testid="status-badge"]').innerText()).toBe('Success');
    expect(await page.getByTestId('tab-problems').count()).toBe(0);
    expect(await page.getByRole('tab', { name: 'utils.py', exact: true }).count()).toBe(1);
    await context.close();
  }, 90000);

  test('on a phone (390×844) none of it makes a page wider than the screen', async () => {
    const phone = await web().browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const missing = await web().newPage(phone);
    await missing.goto(`${web().appUrl}/a/rather/long/address/that/no/page/of/this/site/has/at/all/${'x'.repeat(60)}`);
    await missing.getByRole('heading', { name: 'Page not found' }).waitFor();
    expect(await overflow(missing)).toBe(0);
    await missing.screenshot({ path: `${OUTPUT_DIR}/not-found-phone.png`, fullPage: true });

    const page = await web().openPage(phone);
    await page.selectOption('select[aria-label="Language"]', 'python');
    await page.evaluate(() => window.runbox!.setCode('from a_helper_module_with_a_long_name import check\ncheck(-1)\n'));
    await addFile(page, 'a_helper_module_with_a_long_name', 'def check(n):\n    raise ValueError("negative")\n');
    await page.getByRole('tab', { name: /^main\.py/ }).click();
    await runAndWait(page);
    expect(await page.getByTestId('tab-problems').count()).toBe(1);
    expect(await page.locator('select[aria-label="Language"] option:checked').innerText()).toMatch(/^Python 3\.\d+\.\d+$/);
    await page.getByRole('button', { name: 'History' }).click();
    await page.getByTestId('history-code').first().waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid="history-code"]')!.textContent!.trim() !== '');
    expect(await overflow(page)).toBe(0);
    await page.screenshot({ path: `${OUTPUT_DIR}/polish-phone.png`, fullPage: true });
    await phone.close();
  }, 90000);
});
