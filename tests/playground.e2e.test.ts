import { describe, expect, test } from '@jest/globals';
import { readFileSync, statSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { WebSocket } from 'ws';
import { consoleStderr, consoleText, OUTPUT_DIR, runAndWait, usePlayground, waitForEditor } from './helpers/browser.js';
import { freePort } from './helpers/net.js';
import type {} from '../frontend/lib/test-hooks.js';

/**
 * The playground in a real Chromium (Debian's, driven by playwright-core) against the
 * built Next.js app and a real runbox API, all on loopback.
 */

const { box, web } = usePlayground();

const openPage = (context?: BrowserContext, url?: string): Promise<Page> => web().openPage(context, url);

async function runWith(page: Page, language: string, code: string): Promise<void> {
  await page.selectOption('select[aria-label="Language"]', language);
  await page.evaluate((c) => window.runbox!.setCode(c), code);
  await runAndWait(page);
}

const badge = (page: Page) => page.locator('[data-testid="status-badge"]').innerText();
const stdout = consoleText;


describe('playground', () => {
  test('the page loads with the editor ready and every language listed', async () => {
    const page = await openPage();
    const options = await page.locator('select[aria-label="Language"] option').allInnerTexts();
    // the picker is the server's list (the languages whose toolchain was found), with versions
    // (a name ending in the version's first number gives it to the version: "Python 3.11.2", newcomer-polish's test)
    expect(options).toEqual(box().languages.info.map((l) => `${l.version.startsWith(`${l.name.split(' ').at(-1)}.`) ? l.name.replace(/\s+\d+$/, '') : l.name} ${l.version}`));
    expect(options.map((o) => o.split(' ')[0])).toEqual(expect.arrayContaining(['JavaScript', 'Python', 'C++', 'Java']));
    expect(await page.evaluate(() => window.runbox!.getCode())).toBe('print("Hello, world!")\n');
    await page.context().close();
  });

  test.each([
    ['javascript', 'console.log([1, 2, 3].map((x) => x * 2).join(","))', '2,4,6'],
    ['python', 'print(sum(range(10)))', '45'],
    ['cpp', '#include <iostream>\nint main() { std::cout << 6 * 7 << "\\n"; }', '42'],
    ['java', 'public class Main { public static void main(String[] a) { System.out.println("java ok"); } }', 'java ok'],
  ])('%s: set code, run, see the output', async (language, code, expected) => {
    const page = await openPage();
    await runWith(page, language, code);
    expect(await badge(page)).toBe('Success');
    expect((await stdout(page)).trim()).toBe(expected);
    await page.context().close();
  });

  test('typing real keys and pressing Ctrl+Enter runs the program', async () => {
    const page = await openPage();
    await page.locator('.monaco-editor textarea').first().focus();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.type('print("typed " + str(2 + 3))');
    expect(await page.evaluate(() => window.runbox!.getCode())).toBe('print("typed " + str(2 + 3))');
    await page.keyboard.press('Control+Enter');
    await page.waitForSelector('.app[data-runs-finished="1"]', { timeout: 30000 });
    expect((await stdout(page)).trim()).toBe('typed 5');
    await page.context().close();
  });

  test('a C++ compile error puts a marker on the right line', async () => {
    const page = await openPage();
    await runWith(page, 'cpp', '#include <cstdio>\nint main() {\n  int x = ;\n  return 0;\n}\n');
    expect(await badge(page)).toBe('Compile error');
    await expect(page.locator('[data-testid="compiler-output"]').innerText()).resolves.toMatch(/main\.cpp:3:\d+: error/);
    const markers = await page.evaluate(() => window.runboxEditor!.markers());
    expect(markers.map((m) => m.line)).toContain(3);
    await page.waitForSelector('.squiggly-error');
    // the next run clears them
    await runWith(page, 'cpp', '#include <cstdio>\nint main() { puts("fixed"); }\n');
    expect(await page.evaluate(() => window.runboxEditor!.markers())).toEqual([]);
    await page.context().close();
  });

  test('TypeScript: Monaco’s TypeScript worker marks a type error as you type; Node’s globals are known; the code still runs', async () => {
    const page = await openPage();
    await page.selectOption('select[aria-label="Language"]', 'typescript');
    await page.evaluate(() => window.runbox!.setCode('const args: string[] = process.argv.slice(2);\nconst n: number = "text";\nconsole.log(args.length, n);\n'));
    await page.waitForFunction(() => window.runboxEditor!.markers('typescript').length > 0, undefined, { timeout: 30000 });
    expect(await page.evaluate(() => window.runboxEditor!.markers('typescript'))).toEqual([{ line: 2, message: expect.stringMatching(/not assignable to type 'number'/) }]);
    await page.waitForSelector('.squiggly-error');
    // Node only strips the types: the program runs
    await runAndWait(page);
    expect(await badge(page)).toBe('Success');
    expect((await stdout(page)).trim()).toBe('0 text');
    await page.context().close();
  });

  test('a Python traceback marks the failing line', async () => {
    const page = await openPage();
    await runWith(page, 'python', 'def f():\n    return 1 / 0\n\nf()\n');
    expect(await badge(page)).toBe('Runtime error');
    // on the console's terminal the trace is part of the one stream a terminal shows
    expect(await stdout(page)).toMatch(/ZeroDivisionError/);
    expect(await page.evaluate(() => window.runboxEditor!.markers())).toEqual([{ line: 2, message: expect.stringMatching(/ZeroDivisionError/) }]);
    await page.context().close();
  });

  test('stdin and arguments reach the program', async () => {
    const page = await openPage();
    await page.getByLabel('Input (stdin)').fill('hello from stdin');
    await page.getByLabel('Program arguments').fill('one "two words"');
    await runWith(page, 'python', 'import sys\nprint(input().upper(), sys.argv[1:])');
    expect((await stdout(page)).trim()).toBe("HELLO FROM STDIN ['one', 'two words']");
    await page.context().close();
  });

  test('an endless loop shows the time-limit badge', async () => {
    const page = await openPage();
    await runWith(page, 'python', 'while True:\n    pass\n');
    expect(await badge(page)).toBe('Time limit exceeded');
    await page.context().close();
  }, 60000);

  test('Run while a program runs asks to stop it first: declining keeps it, accepting runs anew', async () => {
    const page = await openPage();
    await page.selectOption('select[aria-label="Language"]', 'python');
    await page.evaluate(() => window.runbox!.setCode('import time\nprint("first")\ntime.sleep(1.5)\nprint("done")'));
    let sockets = 0;
    page.on('websocket', () => sockets++);
    const questions: string[] = [];
    await page.getByRole('button', { name: 'Run code' }).click();
    await page.waitForFunction(() => window.runboxConsole?.text().includes('first'));
    page.once('dialog', (d) => {
      questions.push(d.message());
      void d.dismiss();
    });
    await page.keyboard.press('Control+Enter');
    await page.waitForSelector('.app[data-runs-finished="1"]', { timeout: 30000 });
    expect(questions).toEqual([expect.stringMatching(/still running.*Stop it/)]);
    expect(await badge(page)).toBe('Success');
    expect(await stdout(page)).toBe('first\ndone');
    expect(sockets).toBe(1);

    await page.getByRole('button', { name: 'Run code' }).click();
    await page.waitForFunction(() => window.runboxConsole?.text().includes('first'));
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Run code' }).click();
    await page.waitForSelector('.app[data-runs-finished="3"]', { timeout: 30000 });
    expect(sockets).toBe(3);
    expect(await badge(page)).toBe('Success');
    expect(await stdout(page)).toBe('first\ndone');
    await page.context().close();
  });

  test('code, input and language survive a reload; each language keeps its own code', async () => {
    const context = await web().browser.newContext();
    const page = await openPage(context);
    await page.selectOption('select[aria-label="Language"]', 'cpp');
    await page.evaluate(() => window.runbox!.setCode('// my C++\nint main() {}\n'));
    await page.selectOption('select[aria-label="Language"]', 'python');
    await page.evaluate(() => window.runbox!.setCode('# my python\n'));
    await page.getByLabel('Input (stdin)').fill('kept input');
    await page.reload();
    await page.waitForSelector('html[data-editor-ready="true"]');
    await page.waitForSelector('select[aria-label="Language"]:not([disabled])');
    expect(await page.locator('select[aria-label="Language"]').inputValue()).toBe('python');
    expect(await page.evaluate(() => window.runbox!.getCode())).toBe('# my python\n');
    expect(await page.getByLabel('Input (stdin)').inputValue()).toBe('kept input');
    await page.selectOption('select[aria-label="Language"]', 'cpp');
    expect(await page.evaluate(() => window.runbox!.getCode())).toBe('// my C++\nint main() {}\n');
    await context.close();
  });

  test('a second file: add a tab, name it, import it from the first, run; a share link and the history keep both', async () => {
    const context = await web().browser.newContext();
    const page = await openPage(context);
    const tabs = () => page.getByRole('tab').evaluateAll((ts) => ts.map((t) => (t as HTMLElement).dataset.file));
    await page.selectOption('select[aria-label="Language"]', 'python');
    const main = 'from helper import greet\nprint(greet("tabs"))\n';
    const helper = 'def greet(who):\n    return f"hello, {who} from " + __name__\n';
    await page.evaluate((c) => window.runbox!.setCode(c), main);

    // + adds a tab and asks for its name at once, the stem selected: typing replaces it
    await page.getByRole('button', { name: 'Add a file' }).click();
    const name = page.getByLabel('File name');
    await expect(name.inputValue()).resolves.toBe('file2.py');
    await page.keyboard.type('helper');
    await page.keyboard.press('Enter');
    expect(await tabs()).toEqual(['main.py', 'helper.py']);
    expect(await page.getByRole('tab', { selected: true }).getAttribute('data-file')).toBe('helper.py');
    expect(await page.evaluate(() => window.runbox!.getCode())).toBe('');
    await page.evaluate((c) => window.runbox!.setCode(c), helper);

    // a name the API would refuse is refused as it is typed; Escape keeps the old one
    await page.getByRole('button', { name: 'Rename helper.py' }).click();
    await name.fill('../helper.py');
    await expect(page.getByTestId('file-name-problem').innerText()).resolves.toMatch(/\.\./);
    await name.fill('MAIN.py');
    await expect(page.getByTestId('file-name-problem').innerText()).resolves.toMatch(/only in case/);
    await name.press('Escape');
    expect(await tabs()).toEqual(['main.py', 'helper.py']);

    await runAndWait(page);
    expect(await badge(page)).toBe('Success');
    expect((await stdout(page)).trim()).toBe('hello, tabs from helper');
    await page.screenshot({ path: `${OUTPUT_DIR}/playground-files.png` });

    // a runtime error in the second file marks that file
    await page.evaluate(() => window.runbox!.setCode('def greet(who):\n    return 1 / 0\n'));
    await runAndWait(page);
    expect(await badge(page)).toBe('Runtime error');
    expect(await page.evaluate(() => window.runboxEditor!.markers())).toEqual([{ line: 2, message: expect.stringMatching(/ZeroDivisionError/) }]);
    await page.getByRole('tab', { name: /main\.py/ }).click();
    expect(await page.evaluate(() => window.runbox!.getCode())).toBe(main);
    expect(await page.evaluate(() => window.runboxEditor!.markers())).toEqual([]);
    await page.getByRole('tab', { name: 'helper.py' }).click();
    await page.evaluate((c) => window.runbox!.setCode(c), helper);
    // the draft is stored once React has rendered the change (a task later): a reload sooner
    // than that, which no person manages, would race it
    await page.waitForFunction((h) => (localStorage.getItem('runbox.playground.v1') ?? '').includes(JSON.stringify(h).slice(1, -1)), helper);

    // both files survive a reload, a share link and the history
    await page.reload();
    await page.waitForSelector('html[data-editor-ready="true"]');
    expect(await tabs()).toEqual(['main.py', 'helper.py']);
    await page.getByRole('button', { name: 'Share' }).click();
    await page.getByTestId('share-link').waitFor({ timeout: 15000 });
    const link = await page.getByTestId('share-link').inputValue();
    const reader = await web().openPage(await web().browser.newContext(), link);
    await reader.getByTestId('snippet-note').waitFor();
    expect(await reader.getByRole('tab').evaluateAll((ts) => ts.map((t) => (t as HTMLElement).dataset.file))).toEqual(['main.py', 'helper.py']);
    await reader.getByRole('tab', { name: 'helper.py' }).click();
    expect(await reader.evaluate(() => window.runbox!.getCode())).toBe(helper);
    await runAndWait(reader);
    expect((await consoleText(reader)).trim()).toBe('hello, tabs from helper');
    await reader.context().close();

    // deleting a tab asks first when it holds code; the program is one file again
    // a tab's actions are the open tab's, beside the tab list
    await page.getByRole('tab', { name: 'helper.py' }).click();
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Delete helper.py' }).click();
    expect(await tabs()).toEqual(['main.py']);
    await page.getByRole('button', { name: 'History' }).click();
    const kept = page.getByTestId('history-entry');
    await kept.first().waitFor();
    page.once('dialog', (d) => void d.accept());
    await kept.first().click();
    await page.waitForFunction(() => document.querySelectorAll('[role="tab"]').length === 2);
    expect(await tabs()).toEqual(['main.py', 'helper.py']);
    await context.close();
  }, 120000);

  test('code saved before tabs existed opens as the one tab of its language', async () => {
    const context = await web().browser.newContext();
    const page = await openPage(context);
    await page.evaluate(() => localStorage.setItem('runbox.playground.v1', JSON.stringify({ language: 'cpp', code: { cpp: '// kept from before\nint main() {}\n' }, stdin: '', args: '' })));
    await page.reload();
    await page.waitForSelector('html[data-editor-ready="true"]');
    await page.waitForSelector('select[aria-label="Language"]:not([disabled])');
    expect(await page.getByRole('tab').evaluateAll((ts) => ts.map((t) => (t as HTMLElement).dataset.file))).toEqual(['main.cpp']);
    expect(await page.evaluate(() => window.runbox!.getCode())).toBe('// kept from before\nint main() {}\n');
    await context.close();
  });

  test('the API being down shows a clear message', async () => {
    const deadApi = `http://127.0.0.1:${await freePort()}`;
    const url = await web().startPlayground(deadApi);
    const context = await web().browser.newContext();
    const page = await web().newPage(context);
    await page.goto(url);
    await page.waitForSelector('html[data-editor-ready="true"]', { timeout: 30000 });
    await expect(page.getByTestId('api-error').innerText()).resolves.toMatch(/Cannot reach the runbox server/);
    await runAndWait(page);
    await expect(page.getByTestId('api-error').innerText()).resolves.toMatch(/Cannot reach the runbox server/);
    await context.close();
  });

  test("Piston clients may use the playground's address: /api/v2/execute through its proxy, /api/v2/connect through its pass-through", async () => {
    const body = JSON.stringify({ language: 'py', version: '*', files: [{ content: 'print(6 * 7)' }] });
    const ok = await fetch(`${web().appUrl}/api/v2/execute`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body });
    expect(((await ok.json()) as { run: { stdout: string } }).run.stdout).toBe('42\n');
    // the proxy passes the page's origin on: another site's text/plain post (no preflight) is refused
    const foreign = await fetch(`${web().appUrl}/api/v2/execute`, { method: 'POST', headers: { 'content-type': 'text/plain', origin: 'https://evil.example.net' }, body });
    expect(foreign.status).toBe(415);
    const ws = new WebSocket(`${web().appUrl.replace(/^http/, 'ws')}/api/v2/connect`);
    const messages: { type: string; stream?: string; data?: string }[] = [];
    ws.on('message', (data) => messages.push(JSON.parse(data.toString())));
    ws.on('open', () => ws.send(JSON.stringify({ type: 'init', language: 'javascript', version: '*', files: [{ content: 'console.log("through the playground")' }] })));
    expect(await new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)))).toBe(4999);
    expect(messages.filter((m) => m.type === 'data').map((m) => m.data).join('')).toBe('through the playground\n');
  });

  test('light and dark screenshots of a finished run', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      const context = await web().browser.newContext({ colorScheme: scheme, viewport: { width: 1280, height: 760 } });
      const page = await openPage(context);
      await page.getByLabel('Input (stdin)').fill('runbox');
      await runWith(page, 'python', 'import sys\nname = input()\nprint(f"Hello, {name}!")\nprint("a warning", file=sys.stderr)\n');
      expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe(scheme);
      const file = `${OUTPUT_DIR}/playground-${scheme}.png`;
      await page.screenshot({ path: file });
      expect(statSync(file).size).toBeGreaterThan(10000);
      await context.close();
    }
    const phone = await web().browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
    const page = await openPage(phone);
    await page.screenshot({ path: `${OUTPUT_DIR}/playground-phone.png` });
    await phone.close();
  }, 60000);

});

describe('what a newcomer tripped over (#22)', () => {
  const inConsole = (page: Page) => page.evaluate(() => !!document.activeElement?.closest('[data-testid="console"]'));

  test('the console is no keyboard trap: Esc then Tab (or Shift+Tab) leaves it, and the console says so', async () => {
    const page = await openPage();
    await page.selectOption('select[aria-label="Language"]', 'python');
    await page.evaluate(() => window.runbox!.setCode('input()\n'));
    await page.getByRole('button', { name: 'Run code' }).click();
    await page.getByTestId('live-status').waitFor();
    await page.waitForFunction(() => !!document.activeElement?.closest('[data-testid="console"]'));
    // Tab alone is the program's, as in a terminal; so are Ctrl+M (Enter) and Escape alone
    await page.keyboard.press('Tab');
    expect(await inConsole(page)).toBe(true);
    await page.keyboard.press('Escape');
    await page.keyboard.press('Tab');
    expect(await inConsole(page)).toBe(false);
    await page.getByTestId('console').click();
    expect(await inConsole(page)).toBe(true);
    await page.keyboard.press('Escape');
    await page.keyboard.press('Shift+Tab');
    expect(await inConsole(page)).toBe(false);
    // Escape, then a key other than Tab: back to the program's keys
    await page.getByTestId('console').click();
    await page.keyboard.press('Escape');
    await page.keyboard.press('a');
    await page.keyboard.press('Tab');
    expect(await inConsole(page)).toBe(true);
    // a screen reader reads the way out where the focus is
    const help = await page.evaluate(() => {
      const input = document.activeElement!;
      return (input.getAttribute('aria-describedby') ?? '').split(' ').map((id) => document.getElementById(id)?.textContent ?? '').join(' ');
    });
    expect(help).toMatch(/Esc.*then Tab/);
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.waitForSelector('.app[data-runs-finished="1"]', { timeout: 30000 });
    await page.context().close();
  }, 60000);

  test('a share link never replaces code of your own without asking, as the history does', async () => {
    const context = await web().browser.newContext();
    const page = await openPage(context);
    await page.selectOption('select[aria-label="Language"]', 'python');
    await page.evaluate(() => window.runbox!.setCode('# my own work\n'));
    await page.waitForFunction(() => (localStorage.getItem('runbox.playground.v1') ?? '').includes('# my own work'));
    const made = await box().request('POST', '/api/snippets', { language: 'python', code: 'print("shared")\n' });
    expect(made.status).toBe(201);
    const questions: string[] = [];
    let answer = false;
    page.on('dialog', (d) => {
      questions.push(d.message());
      void (answer ? d.accept() : d.dismiss());
    });
    // declined: the page keeps the visitor's code, and an edit saves that, not the snippet
    await page.goto(`${web().appUrl}/s/${made.json.id}`);
    await waitForEditor(page);
    await page.waitForSelector('.app:not([data-snippet="loading"])');
    expect(questions).toEqual([expect.stringMatching(/^Replace your current Python[ \d]* code with the shared snippet/)]);
    await page.getByTestId('snippet-declined').waitFor();
    expect(await page.evaluate(() => window.runbox!.getCode())).toBe('# my own work\n');
    await page.locator('.monaco-editor textarea').first().focus();
    await page.keyboard.type('x');
    await page.waitForFunction(() => (localStorage.getItem('runbox.playground.v1') ?? '').includes('# my own work'));
    await page.goto(web().appUrl);
    await waitForEditor(page);
    expect(await page.evaluate(() => window.runbox!.getCode())).toContain('# my own work');
    expect(await page.evaluate(() => window.runbox!.getCode())).not.toContain('shared');
    // accepted: the snippet opens
    answer = true;
    await page.goto(`${web().appUrl}/s/${made.json.id}`);
    await waitForEditor(page);
    await page.getByTestId('snippet-note').waitFor();
    expect(questions).toHaveLength(2);
    expect(await page.evaluate(() => window.runbox!.getCode())).toBe('print("shared")\n');
    await context.close();
  }, 60000);

  test('on a phone the output is in view after Run', async () => {
    const phone = await web().browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const page = await openPage(phone);
    await runWith(page, 'python', 'print("seen on a phone")\n');
    expect((await stdout(page)).trim()).toBe('seen on a phone');
    const seen = await page.evaluate(() => {
      const c = document.querySelector('[data-testid="console"]')!.getBoundingClientRect();
      // the console's first line is where a person sees it: on the screen, not clipped by its pane
      const x = c.left + 30;
      const y = c.top + 14;
      return { onScreen: y > 0 && y < window.innerHeight, shown: !!document.elementFromPoint(x, y)?.closest('[data-testid="console"]') };
    });
    expect(seen).toEqual({ onScreen: true, shown: true });
    await page.screenshot({ path: `${OUTPUT_DIR}/playground-phone-run.png` });
    await phone.close();
  }, 60000);

  test('stdout and stderr keep their lines whole and in the order they were finished', async () => {
    const page = await openPage();
    // input given in advance: the console does not wait on prompts
    await page.getByLabel('Input (stdin)').fill('unused');
    await runWith(page, 'python', 'import os, time\nos.write(1, b"8\\n10")\ntime.sleep(0.3)\nos.write(2, b"1\\n3\\n")\ntime.sleep(0.3)\nos.write(1, b"0\\n")\n');
    expect(await stdout(page)).toBe('8\n1\n3\n100');
    expect(await consoleStderr(page)).toBe('1\n3');
    // blocks of thousands of lines: Python buffers stdout in 8 KiB blocks (cut mid-line), stderr by line
    await runWith(page, 'python', 'import sys\nfor i in range(4000):\n    (sys.stdout if i % 2 else sys.stderr).write(f"{i}\\n")\n');
    const lines = (await stdout(page)).split('\n');
    expect([...lines].sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 4000 }, (_, i) => String(i)));
    const errors = (await consoleStderr(page)).split('\n');
    expect(errors).toEqual(Array.from({ length: 2000 }, (_, i) => String(2 * i)));
    expect(lines.filter((l) => Number(l) % 2 === 1)).toEqual(Array.from({ length: 2000 }, (_, i) => String(2 * i + 1)));
    await page.context().close();
  }, 90000);

  test('another file can be made the entry; the entry keeps a source file name', async () => {
    const context = await web().browser.newContext();
    const page = await openPage(context);
    const tabs = () => page.getByRole('tab').evaluateAll((ts) => ts.map((t) => (t as HTMLElement).dataset.file));
    await page.selectOption('select[aria-label="Language"]', 'python');
    await page.evaluate(() => window.runbox!.setCode('print("from main")\n'));
    await page.getByRole('button', { name: 'Add a file' }).click();
    await page.keyboard.type('other');
    await page.keyboard.press('Enter');
    await page.evaluate(() => window.runbox!.setCode('print("from other")\n'));
    expect(await tabs()).toEqual(['main.py', 'other.py']);

    // the entry may not lose its .py without being told why
    await page.getByRole('tab', { name: /main\.py/ }).click();
    await page.getByRole('button', { name: 'Rename main.py' }).click();
    await page.getByLabel('File name').fill('notes.txt');
    await expect(page.getByTestId('file-name-problem').innerText()).resolves.toMatch(/entry.*\.py/);
    await page.getByLabel('File name').press('Enter');
    expect(await page.getByLabel('File name').count()).toBe(1);
    await page.getByLabel('File name').press('Escape');
    expect(await tabs()).toEqual(['main.py', 'other.py']);

    // another file made the entry runs
    await page.getByRole('tab', { name: 'other.py' }).click();
    await page.getByRole('button', { name: 'Make other.py the entry file' }).click();
    expect(await tabs()).toEqual(['other.py', 'main.py']);
    await runAndWait(page);
    expect(await badge(page)).toBe('Success');
    expect((await stdout(page)).trim()).toBe('from other');
    // main.py, no longer the entry, may hold notes
    await page.getByRole('tab', { name: 'main.py' }).click();
    await page.getByRole('button', { name: 'Rename main.py' }).click();
    await page.getByLabel('File name').fill('notes.txt');
    await page.getByLabel('File name').press('Enter');
    expect(await tabs()).toEqual(['other.py', 'notes.txt']);
    await context.close();
  }, 90000);

  test("an API message about a file names the file's tab, not files[0].name", async () => {
    const context = await web().browser.newContext();
    const page = await openPage(context);
    // saved before the entry's name was checked in the page: the entry is notes.txt
    await page.evaluate(() => localStorage.setItem('runbox.playground.v1', JSON.stringify({ language: 'python', files: { python: [{ name: 'notes.txt', content: 'print(1)\n' }] }, stdin: '', args: '' })));
    await page.reload();
    await waitForEditor(page);
    await runAndWait(page);
    const message = await page.getByTestId('api-error').innerText();
    expect(message).toMatch(/notes\.txt is the entry file .*must end in \.py/);
    expect(message).not.toMatch(/files\[|main: true/);
    await context.close();
  }, 60000);

  test('program arguments are split as a shell splits them: quotes and backslashes', async () => {
    const page = await openPage();
    await page.getByLabel('Program arguments').fill(String.raw`--name="John Doe" 'it''s' a\ b "say \"hi\"" '' x"y z"`);
    await runWith(page, 'python', 'import sys, json\nprint(json.dumps(sys.argv[1:]))\n');
    expect(JSON.parse(await stdout(page))).toEqual(['--name=John Doe', 'its', 'a b', 'say "hi"', '', 'xy z']);
    await page.context().close();
  });

  test('axe finds nothing critical or serious on the playground (light and dark); the file tabs are tabs; headings go down one level at a time', async () => {
    const axe = readFileSync('node_modules/axe-core/axe.min.js', 'utf8');
    for (const scheme of ['light', 'dark'] as const) {
      const context = await web().browser.newContext({ colorScheme: scheme, viewport: { width: 1280, height: 800 } });
      const page = await openPage(context);
      await page.selectOption('select[aria-label="Language"]', 'python');
      await page.getByRole('button', { name: 'Add a file' }).click();
      await page.keyboard.press('Enter');
      await runWith(page, 'python', 'print("checked")\n');
      await page.addScriptTag({ content: axe });
      const violations = await page.evaluate(async () => {
        const axe = (window as unknown as { axe: { run(context: Document): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
        const { violations } = await axe.run(document);
        return violations.filter((v) => v.impact === 'critical' || v.impact === 'serious').map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) }));
      });
      expect(violations).toEqual([]);
      const levels = await page.locator('h1, h2, h3, h4, h5, h6').evaluateAll((hs) => hs.map((h) => Number(h.tagName[1])));
      expect(levels[0]).toBe(1);
      for (let i = 1; i < levels.length; i++) expect(levels[i]! - levels[i - 1]!).toBeLessThanOrEqual(1);
      // the tab list holds tabs only; arrow keys move between them; the editor is their panel
      expect(await page.locator('[role="tablist"] > :not([role="tab"])').count()).toBe(0);
      await page.getByRole('tab', { name: /main\.py/ }).click();
      await page.keyboard.press('ArrowRight');
      expect(await page.evaluate(() => document.activeElement?.getAttribute('data-file'))).toBe('file2.py');
      expect(await page.getByRole('tab', { selected: true }).getAttribute('data-file')).toBe('file2.py');
      await page.keyboard.press('ArrowLeft');
      expect(await page.getByRole('tab', { selected: true }).getAttribute('data-file')).toBe('main.py');
      expect(await page.getByRole('tabpanel', { name: /main\.py/ }).count()).toBe(1);
      await context.close();
    }
  }, 120000);
});

describe('live runs in the console', () => {
  test('type an answer to a prompt in the console and see the reply', async () => {
    const page = await openPage();
    await page.selectOption('select[aria-label="Language"]', 'python');
    await page.evaluate(() => window.runbox!.setCode('name = input("What is your name? ")\nprint(f"Hello, {name}!")\n'));
    await page.getByRole('button', { name: 'Run code' }).click();
    await page.waitForFunction(() => window.runboxConsole?.text().includes('What is your name? '), undefined, { timeout: 30000 });
    await page.getByTestId('console').click();
    await page.keyboard.type('Ada');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.app[data-runs-finished="1"]', { timeout: 30000 });
    expect(await stdout(page)).toBe('What is your name? Ada\nHello, Ada!');
    expect(await badge(page)).toBe('Success');
    await page.context().close();
  });

  test('the first of five slow lines shows while the program still runs', async () => {
    const page = await openPage();
    await page.selectOption('select[aria-label="Language"]', 'python');
    await page.evaluate(() => window.runbox!.setCode('import time\nfor i in range(5):\n    print(f"line {i}")\n    time.sleep(0.5)\n'));
    await page.getByRole('button', { name: 'Run code' }).click();
    await page.waitForFunction(() => window.runboxConsole?.text().includes('line 0'), undefined, { timeout: 30000 });
    const firstLine = performance.now();
    expect(await stdout(page)).not.toContain('line 4');
    expect(await page.getByTestId('live-status').innerText()).toMatch(/Running/);
    expect(await page.getByTestId('status-badge').count()).toBe(0);
    await page.waitForSelector('.app[data-runs-finished="1"]', { timeout: 30000 });
    expect(performance.now() - firstLine).toBeGreaterThan(1500);
    expect(await stdout(page)).toBe('line 0\nline 1\nline 2\nline 3\nline 4');
    await page.context().close();
  });

  test('Stop ends a while True loop within a second', async () => {
    const page = await openPage();
    await page.selectOption('select[aria-label="Language"]', 'python');
    await page.evaluate(() => window.runbox!.setCode('print("spinning")\nwhile True:\n    pass\n'));
    await page.getByRole('button', { name: 'Run code' }).click();
    await page.waitForFunction(() => window.runboxConsole?.text().includes('spinning'), undefined, { timeout: 30000 });
    const pressed = performance.now();
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.waitForSelector('.app[data-runs-finished="1"]', { timeout: 5000 });
    expect(performance.now() - pressed).toBeLessThan(1000);
    expect(await badge(page)).toBe('Stopped');
    expect(await page.getByRole('button', { name: 'Stop' }).isDisabled()).toBe(true);
    await page.context().close();
  });

  test('in the console, Ctrl+D ends the input and Ctrl+C interrupts the program (SIGINT)', async () => {
    const page = await openPage();
    await page.selectOption('select[aria-label="Language"]', 'python');
    await page.evaluate(() => window.runbox!.setCode('import sys\nlines = sys.stdin.read().splitlines()\nprint(len(lines), "lines:", lines)\n'));
    await page.getByRole('button', { name: 'Run code' }).click();
    await page.getByTestId('console').click();
    await page.keyboard.type('one');
    await page.keyboard.press('Enter');
    await page.keyboard.type('twx');
    await page.keyboard.press('Backspace');
    await page.keyboard.type('o');
    // as in any terminal: the first Ctrl+D hands over the unfinished line, the second, on nothing, is the end
    await page.keyboard.press('Control+D');
    await page.keyboard.press('Control+D');
    await page.waitForSelector('.app[data-runs-finished="1"]', { timeout: 30000 });
    expect(await stdout(page)).toBe("one\ntwo2 lines: ['one', 'two']");

    // Ctrl+C is the terminal's interrupt: Python's KeyboardInterrupt
    await page.evaluate(() => window.runbox!.setCode('input()\n'));
    await page.getByRole('button', { name: 'Run code' }).click();
    await page.getByTestId('live-status').waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid="live-status"]')?.textContent?.startsWith('Running'), undefined, { timeout: 30000 });
    await page.getByTestId('console').click();
    await page.keyboard.press('Control+C');
    await page.waitForSelector('.app[data-runs-finished="2"]', { timeout: 5000 });
    expect(await stdout(page)).toMatch(/\^C.*KeyboardInterrupt/s);
    expect(await page.getByTestId('exit').innerText()).toBe('SIGINT');
    await page.context().close();
  });

  test('on the terminal: a C prompt shows before any input, isatty is true, Node readline exits', async () => {
    const page = await openPage();
    await page.selectOption('select[aria-label="Language"]', 'c');
    await page.evaluate(() => window.runbox!.setCode('#include <stdio.h>\n#include <unistd.h>\nint main(void) {\n  char name[64];\n  printf("tty %d %d. Name? ", isatty(0), isatty(1));\n  if (scanf("%63s", name) != 1) return 1;\n  printf("Hello, %s!\\n", name);\n  return 0;\n}\n'));
    await page.getByRole('button', { name: 'Run code' }).click();
    // printf without a newline, no fflush: a terminal's stdout is line-buffered, and scanf flushes it
    await page.waitForFunction(() => window.runboxConsole?.text().includes('tty 1 1. Name? '), undefined, { timeout: 60000 });
    await page.getByTestId('console').click();
    await page.keyboard.type('Ada');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.app[data-runs-finished="1"]', { timeout: 30000 });
    expect(await stdout(page)).toBe('tty 1 1. Name? Ada\nHello, Ada!');
    expect(await badge(page)).toBe('Success');

    await page.selectOption('select[aria-label="Language"]', 'javascript');
    await page.evaluate(() => window.runbox!.setCode("const rl = require('node:readline').createInterface({ input: process.stdin, output: process.stdout });\nrl.question('Your name? ', (name) => {\n  console.log(`Hi ${name}`);\n  rl.close();\n});\n"));
    await page.getByRole('button', { name: 'Run code' }).click();
    await page.waitForFunction(() => window.runboxConsole?.text().includes('Your name? '), undefined, { timeout: 30000 });
    await page.getByTestId('console').click();
    await page.keyboard.type('Grace');
    await page.keyboard.press('Enter');
    // readline's close ends the program: no wait for a time limit
    await page.waitForSelector('.app[data-runs-finished="2"]', { timeout: 10000 });
    expect(await stdout(page)).toBe('Your name? Grace\nHi Grace');
    expect(await badge(page)).toBe('Success');
    await page.context().close();
  }, 120000);

  test('on the terminal: the program gets the console\'s size, and a new one when the console is resized', async () => {
    const page = await openPage();
    await page.selectOption('select[aria-label="Language"]', 'python');
    await page.evaluate(() =>
      window.runbox!.setCode('import os, signal, sys\nsignal.signal(signal.SIGWINCH, lambda *_: print("now", *os.get_terminal_size(), flush=True))\nprint("size", *os.get_terminal_size(), flush=True)\nsys.stdin.readline()\n'),
    );
    await page.getByRole('button', { name: 'Run code' }).click();
    await page.waitForFunction(() => window.runboxConsole?.text().includes('size '), undefined, { timeout: 30000 });
    const first = await page.evaluate(() => window.runboxConsole!.size());
    expect(await stdout(page)).toContain(`size ${first.cols} ${first.rows}`);
    await page.setViewportSize({ width: 900, height: 700 });
    await page.waitForFunction((cols) => window.runboxConsole!.size().cols !== cols, first.cols, { timeout: 10000 });
    const second = await page.evaluate(() => window.runboxConsole!.size());
    await page.waitForFunction((s) => window.runboxConsole!.text().includes(`now ${s.cols} ${s.rows}`), second, { timeout: 10000 });
    await page.getByTestId('console').click();
    await page.keyboard.press('Enter');
    await page.waitForSelector('.app[data-runs-finished="1"]', { timeout: 30000 });
    expect(await badge(page)).toBe('Success');
    await page.context().close();
  }, 60000);

  test('with input given in advance (pipes) stderr is drawn in red; on the terminal it is in the one stream, in order', async () => {
    const page = await openPage();
    const code = 'import sys\nprint("to stdout", flush=True)\nprint("to stderr", file=sys.stderr)\n';
    await page.getByLabel('Input (stdin)').fill('unused');
    await runWith(page, 'python', code);
    expect(await stdout(page)).toBe('to stdout\nto stderr');
    expect(await consoleStderr(page)).toBe('to stderr');
    await page.getByLabel('Input (stdin)').fill('');
    await page.evaluate(() => window.runbox!.setCode('import sys\nprint(sys.stdout.isatty(), sys.stderr.isatty())\nprint("to stderr", file=sys.stderr)\n'));
    await runAndWait(page);
    expect(await stdout(page)).toBe('True True\nto stderr');
    expect(await consoleStderr(page)).toBe('');
    await page.context().close();
  });

  test('no request ever left for another host', () => {
    expect(web().requested.length).toBeGreaterThan(20);
    expect(web().foreignRequests()).toEqual([]);
  });
});
