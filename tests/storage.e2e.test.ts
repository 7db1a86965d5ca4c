import { describe, expect, test } from '@jest/globals';
import type { Page } from 'playwright-core';
import type { ProblemResponse } from '../backend/src/protocol.js';
import { consoleText, OUTPUT_DIR, runAndWait, usePlayground, waitForEditor } from './helpers/browser.js';
import type {} from '../frontend/lib/test-hooks.js';

/**
 * What the playground keeps: shared snippets, a visitor's history, and judged submissions
 * to problems, in a real Chromium against the built app and a real API with its own database.
 */

const ADMIN_KEY = 'storage-e2e-admin-key-0123456789';
const { box, web } = usePlayground({ RUNBOX_ADMIN_KEY: ADMIN_KEY });

const code = (page: Page) => page.evaluate(() => window.runbox!.getCode());
const stdout = consoleText;

async function runPython(page: Page, source: string): Promise<void> {
  await page.selectOption('select[aria-label="Language"]', 'python');
  await page.evaluate((c) => window.runbox!.setCode(c), source);
  await runAndWait(page);
  await page.getByTestId('status-badge').waitFor();
}

/** Shares what is in the playground and returns the link it shows. */
async function share(page: Page, previous = ''): Promise<string> {
  await page.getByRole('button', { name: 'Share' }).click();
  await page.waitForFunction(
    (old) => {
      const field = document.querySelector<HTMLInputElement>('[data-testid="share-link"]');
      return !!field && field.value !== '' && field.value !== old;
    },
    previous,
    { timeout: 15000 },
  );
  return page.getByTestId('share-link').inputValue();
}

async function submit(page: Page, source: string): Promise<void> {
  await page.evaluate((c) => window.runbox!.setCode(c), source);
  await page.getByRole('button', { name: 'Submit' }).click();
  await page.getByTestId('judge-status').waitFor({ timeout: 60000 });
}

const verdictRows = (page: Page) =>
  page.locator('[data-testid="verdict-row"]').evaluateAll((rows) => rows.map((r) => Array.from(r.querySelectorAll('td'), (td) => td.textContent ?? '')));


describe('shared snippets', () => {
  const program = 'import sys\nname = input()\nprint(f"hi {name}", sys.argv[1:])\n';

  test('a shared link opens in a fresh browser with the same code, language, input and arguments, and runs', async () => {
    const author = await web().browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
    const page = await web().openPage(author);
    await page.selectOption('select[aria-label="Language"]', 'python');
    await page.evaluate((c) => window.runbox!.setCode(c), program);
    await page.getByLabel('Input (stdin)').fill('snippet input');
    await page.getByLabel('Program arguments').fill('one "two words"');
    const link = await share(page);
    expect(link).toMatch(new RegExp(`^${web().appUrl}/s/[A-Za-z0-9_-]+$`));
    expect(await page.getByTestId('share-status').innerText()).toBe('Link copied');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);
    // the API's own answer through the playground's proxy names the playground too
    const created = await page.evaluate(() =>
      fetch('/api/snippets', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ language: 'python', code: 'print(1)' }) }).then((r) => r.json()),
    );
    expect(created.url).toBe(`${web().appUrl}/s/${created.id}`);

    const reader = await web().browser.newContext();
    const opened = await web().openPage(reader, link);
    await opened.getByTestId('snippet-note').waitFor();
    expect(await opened.locator('select[aria-label="Language"]').inputValue()).toBe('python');
    expect(await code(opened)).toBe(program);
    expect(await opened.getByLabel('Input (stdin)').inputValue()).toBe('snippet input');
    expect(await opened.getByLabel('Program arguments').inputValue()).toBe('one "two words"');
    await runAndWait(opened);
    expect((await stdout(opened)).trim()).toBe("hi snippet input ['one', 'two words']");
    await reader.close();
    await author.close();
  });

  test('sharing unchanged code again gives the same link; an edit gives a new one and the old link keeps the old code', async () => {
    const context = await web().browser.newContext();
    const page = await web().openPage(context);
    await page.selectOption('select[aria-label="Language"]', 'python');
    await page.evaluate(() => window.runbox!.setCode('print("first")\n'));
    let posts = 0;
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/api/snippets')) posts++;
    });
    const first = await share(page);
    await page.getByRole('button', { name: 'Share' }).click();
    await page.getByRole('button', { name: 'Share' }).waitFor();
    expect(await page.getByTestId('share-link').inputValue()).toBe(first);
    expect(posts).toBe(1);

    await page.evaluate(() => window.runbox!.setCode('print("second")\n'));
    await page.locator('[data-testid="share-status"]', { hasText: 'Edited since' }).waitFor();
    const second = await share(page, first);
    expect(second).not.toBe(first);
    expect(posts).toBe(2);

    // this browser has its own code saved ("second"): opening the first link asks before it shows
    // the snippet over it (#22: a share link never replaces your code without asking); yes shows it
    const asked: string[] = [];
    context.once('page', (p) => p.once('dialog', (d) => (asked.push(d.message()), void d.accept())));
    const opened = await web().openPage(context, first);
    await opened.getByTestId('snippet-note').waitFor();
    expect(asked).toHaveLength(1);
    expect(await code(opened)).toBe('print("first")\n');
    // and merely opening a snippet does not replace this browser's own saved code
    const own = await web().openPage(context);
    expect(await code(own)).toBe('print("second")\n');
    await context.close();
  });

  test("sharing an opened snippet unchanged shows its own link and makes no new snippet; an edit makes one", async () => {
    const created = await box().request('POST', '/api/snippets', { language: 'python', code: 'print("opened")\n', stdin: 'in', args: ['a b'] });
    expect(created.status).toBe(201);
    const own = `${web().appUrl}/s/${created.json.id}`;
    const page = await web().openPage(undefined, own);
    await page.getByTestId('snippet-note').waitFor();
    let posts = 0;
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/api/snippets')) posts++;
    });
    expect(await share(page)).toBe(own);
    expect(posts).toBe(0);

    await page.getByLabel('Input (stdin)').fill('other input');
    expect(await share(page, own)).not.toBe(own);
    expect(posts).toBe(1);
    await page.context().close();
  });

  test('an unknown snippet id says so and leaves the normal playground', async () => {
    const context = await web().browser.newContext();
    const page = await web().openPage(context, `${web().appUrl}/s/doesNotExist123`);
    await expect(page.getByTestId('load-error').innerText()).resolves.toMatch(/does not exist/);
    expect(await code(page)).toBe('print("Hello, world!")\n');
    await runPython(page, 'print(6 * 7)');
    expect((await stdout(page)).trim()).toBe('42');
    await context.close();
  });
});

describe('problems', () => {
  test('from the list to A + B: a correct solution is accepted on every test, a wrong one is not', async () => {
    const { json: problem } = (await box().request('GET', '/api/problems/a-plus-b')) as { json: ProblemResponse };
    const context = await web().browser.newContext();
    const page = await web().newPage(context);
    await page.goto(`${web().appUrl}/problems`);
    const entry = page.getByTestId('problem-list').locator('li', { hasText: 'A + B' });
    await expect(entry.innerText()).resolves.toContain(`${problem.sampleCount} samples · ${problem.hiddenCount} hidden tests`);
    await entry.getByRole('link', { name: 'A + B' }).click();
    await page.waitForURL(`${web().appUrl}/problems/a-plus-b`);
    await waitForEditor(page);
    await expect(page.getByTestId('statement').innerText()).resolves.toMatch(/Read two integers and print their sum/);
    await expect(page.getByTestId('limits').innerText()).resolves.toContain('2 s · 256 MB');
    expect((await page.getByTestId('sample-input').allInnerTexts()).map((t) => t.trimEnd())).toEqual(problem.samples.map((s) => s.input.trimEnd()));
    await page.selectOption('select[aria-label="Language"]', 'python');
    expect(await code(page)).toMatch(/^# A \+ B: read the input/);

    await submit(page, 'a, b = map(int, input().split())\nprint(a + b)\n');
    const total = problem.sampleCount + problem.hiddenCount;
    expect(await page.getByTestId('judge-status').innerText()).toBe('Accepted');
    expect(await page.getByTestId('judge-passed').innerText()).toBe(`${total}/${total} tests passed`);
    const accepted = await verdictRows(page);
    expect(accepted).toHaveLength(total);
    expect(accepted.map((r) => [r[0], r[1], r[2]])).toEqual(
      Array.from({ length: total }, (_, i) => [String(i + 1), i < problem.sampleCount ? 'Sample' : 'Hidden', 'Accepted']),
    );

    await submit(page, 'a, b = map(int, input().split())\nprint(a - b)\n');
    expect(await page.getByTestId('judge-status').innerText()).toBe('Wrong answer');
    const passed = Number((await page.getByTestId('judge-passed').innerText()).split('/')[0]);
    expect(passed).toBeLessThan(total);
    const wrong = await verdictRows(page);
    expect(wrong.filter((r) => r[2] === 'Wrong answer').length).toBe(total - passed);
    // a failed sample shows what was expected next to what the program printed
    const failedSample = page.locator('details[data-testid="sample-detail"][open]').first();
    expect((await failedSample.locator('[data-testid="sample-stdout"]').innerText()).trim()).toBe('-1');
    await page.screenshot({ path: `${OUTPUT_DIR}/problem-verdict.png`, fullPage: true });
    await context.close();
  }, 120000);

  test('a compile error shows the compiler message and no test table', async () => {
    const page = await web().openPage(undefined, `${web().appUrl}/problems/a-plus-b`);
    await page.selectOption('select[aria-label="Language"]', 'cpp');
    await submit(page, '#include <cstdio>\nint main() {\n  int x = ;\n}\n');
    expect(await page.getByTestId('judge-status').innerText()).toBe('Compile error');
    await expect(page.getByTestId('compiler-output').innerText()).resolves.toMatch(/main\.cpp:3:\d+: error/);
    expect(await page.getByTestId('verdict-table').count()).toBe(0);
    expect((await page.evaluate(() => window.runboxEditor!.markers())).map((m) => m.line)).toContain(3);
    await page.context().close();
  }, 60000);

  test('a solution of two files: a tab added on the problem page is judged with the first', async () => {
    const page = await web().openPage(undefined, `${web().appUrl}/problems/a-plus-b`);
    await page.selectOption('select[aria-label="Language"]', 'python');
    await page.evaluate(() => window.runbox!.setCode('from calc import add\nprint(add(*map(int, input().split())))\n'));
    await page.getByRole('button', { name: 'Add a file' }).click();
    await page.getByLabel('File name').fill('calc.py');
    await page.getByLabel('File name').press('Enter');
    // a syntax error in the second file marks that file's tab, where the visitor is
    await submit(page, 'def add(a, b):\n    return a +\n');
    expect(await page.getByTestId('judge-status').innerText()).toBe('Runtime error');
    expect((await page.evaluate(() => window.runboxEditor!.markers())).map((m) => m.line)).toEqual([2]);
    await submit(page, 'def add(a, b):\n    return a + b\n');
    expect(await page.getByTestId('judge-status').innerText()).toBe('Accepted');
    expect(await page.getByRole('tab').evaluateAll((ts) => ts.map((t) => (t as HTMLElement).dataset.file))).toEqual(['main.py', 'calc.py']);
    await page.context().close();
  }, 90000);

  test("a statement's raw HTML is never rendered, javascript: links are dropped and remote images are not loaded", async () => {
    const created = await box().request(
      'POST',
      '/api/problems',
      {
        slug: 'html-statement',
        title: 'HTML in a statement',
        statement: 'Plain **bold** text.\n\n<img src="x" onerror="window.__pwned = 1">\n\n<script>window.__pwned = 2</script>\n\n[click](javascript:window.__pwned=3)\n\n![tracker](https://tracker.example/pixel.png)',
        timeLimitMs: 1000,
        memoryLimitMb: 64,
        tests: [{ input: '', expected: 'x\n' }],
      },
      { authorization: `Bearer ${ADMIN_KEY}` },
    );
    expect(created.status).toBe(201);
    const page = await web().openPage(undefined, `${web().appUrl}/problems/html-statement`);
    const statement = page.getByTestId('statement');
    expect(await statement.locator('strong').innerText()).toBe('bold');
    expect(await statement.locator('img, script').count()).toBe(0);
    const href = await statement.locator('a', { hasText: 'click' }).getAttribute('href');
    expect(href ?? '').not.toMatch(/^javascript:/i);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    await page.context().close();
  });

  test('an unknown problem says so', async () => {
    const page = await web().newPage();
    await page.goto(`${web().appUrl}/problems/no-such-problem`);
    await expect(page.getByTestId('load-error').innerText()).resolves.toMatch(/no such problem/);
    await page.context().close();
  });
});

describe('history', () => {
  test('runs and submissions are listed; a click puts the code, input and result back', async () => {
    const context = await web().browser.newContext();
    const page = await web().openPage(context);
    expect(await page.getByLabel('Keep runs in history').isChecked()).toBe(true);
    await page.getByLabel('Input (stdin)').fill('kept');
    await runPython(page, 'print("history says", input())\n');
    expect((await stdout(page)).trim()).toBe('history says kept');

    // a judged submission from the same browser lands in the same history
    const problem = await web().openPage(context, `${web().appUrl}/problems/a-plus-b`);
    await problem.selectOption('select[aria-label="Language"]', 'python');
    await submit(problem, 'a, b = map(int, input().split())\nprint(a + b)\n');
    expect(await problem.getByTestId('judge-status').innerText()).toBe('Accepted');
    await problem.close();

    await page.evaluate(() => window.runbox!.setCode('print("something else")\n'));
    await page.getByLabel('Input (stdin)').fill('');
    await page.getByRole('button', { name: 'History' }).click();
    const entries = page.getByTestId('history-entry');
    await entries.first().waitFor();
    expect(await entries.count()).toBe(2);
    // newest first
    await expect(entries.nth(0).innerText()).resolves.toMatch(/Python[\s\S]*Problem a-plus-b[\s\S]*Accepted/);
    await expect(entries.nth(1).innerText()).resolves.toMatch(/Python[\s\S]*Run[\s\S]*Success/);

    // the editor holds the visitor's own Python code: loading an entry over it asks first, and cancelling keeps it
    // dismissed from inside the handler: a click waits for what it set off, and a confirm()
    // nobody answers holds the page (the click then timed out now and then)
    const asked = new Promise<string>((resolve) =>
      page.once('dialog', (d) => {
        resolve(d.message());
        void d.dismiss();
      }),
    );
    await entries.nth(1).click();
    expect(await asked).toMatch(/^Replace your current Python[ \d]* code/);
    expect(await code(page)).toBe('print("something else")\n');
    expect(await page.getByLabel('Input (stdin)').inputValue()).toBe('');

    page.once('dialog', (d) => void d.accept());
    await entries.nth(1).click();
    await page.waitForFunction(() => window.runbox!.getCode() === 'print("history says", input())\n');
    expect(await page.getByLabel('Input (stdin)').inputValue()).toBe('kept');
    expect((await stdout(page)).trim()).toBe('history says kept');

    page.once('dialog', (d) => void d.accept()); // the run's code is not the submission's either
    await entries.nth(0).click();
    await page.getByTestId('judge-status').waitFor();
    expect(await code(page)).toBe('a, b = map(int, input().split())\nprint(a + b)\n');
    expect(await page.getByTestId('judge-status').innerText()).toBe('Accepted');
    await page.screenshot({ path: `${OUTPUT_DIR}/playground-history.png` });

    // deleting the run takes it out of the list, and out of the history for good
    await page.getByRole('button', { name: /^Delete .+ Python[ \d]* entry$/ }).nth(1).click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="history-entry"]').length === 1);
    await expect(entries.first().innerText()).resolves.toMatch(/Problem a-plus-b/);
    await page.reload();
    await waitForEditor(page);
    await page.getByRole('button', { name: 'History' }).click();
    await entries.first().waitFor();
    expect(await entries.count()).toBe(1);
    await expect(entries.first().innerText()).resolves.toMatch(/Problem a-plus-b[\s\S]*Accepted/);
    await context.close();
  }, 120000);

  test('with "Keep runs in history" off, runs are not kept, and the choice is remembered', async () => {
    const context = await web().browser.newContext();
    const page = await web().openPage(context);
    await runPython(page, 'print("kept")');
    await page.getByLabel('Keep runs in history').uncheck();
    await runPython(page, 'print("not kept")');
    expect((await stdout(page)).trim()).toBe('not kept');
    const key = await page.evaluate(() => localStorage.getItem('runbox.visitor'));
    const history = await box().request('GET', '/api/history', undefined, { 'X-Runbox-Visitor': key! });
    expect(history.status).toBe(200);
    expect(history.json.entries).toHaveLength(1);
    await page.reload();
    await waitForEditor(page);
    expect(await page.getByLabel('Keep runs in history').isChecked()).toBe(false);
    await context.close();
  }, 60000);

  test("one browser's history is not another's", async () => {
    const page = await web().openPage();
    await page.getByRole('button', { name: 'History' }).click();
    await page.getByTestId('history-panel').getByText(/Nothing kept yet/).waitFor();
    await page.context().close();
  });
});

describe('layout', () => {
  test('the problem page in dark and on a phone: screenshots, and nothing wider than the screen', async () => {
    const dark = await web().browser.newContext({ colorScheme: 'dark', viewport: { width: 1280, height: 800 } });
    const page = await web().openPage(dark, `${web().appUrl}/problems/prefix-sums`);
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await page.screenshot({ path: `${OUTPUT_DIR}/problem-dark.png` });
    await dark.close();

    const phone = await web().browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
    const pages: [string, string, (p: Page) => Promise<void>][] = [
      ['/problems', 'phone-problems', (p) => p.getByTestId('problem-list').waitFor()],
      ['/problems/prefix-sums', 'phone-problem', waitForEditor],
      ['/', 'phone-playground', waitForEditor],
    ];
    for (const [path, name, ready] of pages) {
      const p = await web().newPage(phone);
      await p.goto(`${web().appUrl}${path}`);
      await ready(p);
      expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await p.screenshot({ path: `${OUTPUT_DIR}/${name}.png`, fullPage: true });
      await p.close();
    }
    await phone.close();
  }, 90000);
});

describe('network', () => {
  test('no request ever left for another host', () => {
    expect(web().requested.length).toBeGreaterThan(20);
    expect(web().foreignRequests()).toEqual([]);
  });
});
