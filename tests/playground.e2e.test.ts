import { describe, expect, test } from '@jest/globals';
import { statSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { WebSocket } from 'ws';
import { consoleStderr, consoleText, OUTPUT_DIR, runAndWait, usePlayground } from './helpers/browser.js';
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
    expect(options).toEqual(box().languages.info.map((l) => `${l.name} ${l.version}`));
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
    expect(await consoleStderr(page)).toMatch(/ZeroDivisionError/);
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

  test('in the console, Ctrl+D ends the input and Ctrl+C stops the program', async () => {
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
    await page.keyboard.press('Control+D');
    await page.waitForSelector('.app[data-runs-finished="1"]', { timeout: 30000 });
    expect(await stdout(page)).toBe("one\ntwo2 lines: ['one', 'two']");

    await page.evaluate(() => window.runbox!.setCode('input()\n'));
    await page.getByRole('button', { name: 'Run code' }).click();
    await page.getByTestId('live-status').waitFor();
    await page.getByTestId('console').click();
    await page.keyboard.press('Control+C');
    await page.waitForSelector('.app[data-runs-finished="2"]', { timeout: 5000 });
    expect(await badge(page)).toBe('Stopped');
    await page.context().close();
  });

  test('stdout and stderr are told apart: stderr is drawn in red', async () => {
    const page = await openPage();
    await runWith(page, 'python', 'import sys\nprint("to stdout")\nprint("to stderr", file=sys.stderr)\n');
    expect(await stdout(page)).toBe('to stdout\nto stderr');
    expect(await consoleStderr(page)).toBe('to stderr');
    await page.context().close();
  });

  test('no request ever left for another host', () => {
    expect(web().requested.length).toBeGreaterThan(20);
    expect(web().foreignRequests()).toEqual([]);
  });
});
