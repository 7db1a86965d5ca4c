import { describe, expect, test } from '@jest/globals';
import { strFromU8, unzipSync } from 'fflate';
import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { consoleText, OUTPUT_DIR, runAndWait, usePlayground, waitForEditor } from './helpers/browser.js';
import type {} from '../frontend/lib/test-hooks.js';

/**
 * What users of other playgrounds expect (#22): an Examples menu and Reset to the template
 * per language, resizable panes, a maximised console, a text size, and a download of the
 * program's files. A real Chromium against the built playground and a real runbox.
 */

const { box, web } = usePlayground();

const DESKTOP = { viewport: { width: 1280, height: 800 } };
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

type Device = Parameters<Browser['newContext']>[0];
/** A page of the playground in a context of its own (its own localStorage). */
const openPage = async (device: Device = DESKTOP): Promise<Page> => web().openPage(await web().browser.newContext(device));
const code = (page: Page) => page.evaluate(() => window.runbox!.getCode());
const setCode = (page: Page, c: string) => page.evaluate((text) => window.runbox!.setCode(text), c);
const pickLanguage = (page: Page, id: string) => page.selectOption('select[aria-label="Language"]', id);
const consoleSize = (page: Page) => page.evaluate(() => window.runboxConsole!.size());
const badge = (page: Page) => page.locator('[data-testid="status-badge"]').innerText();
/** The questions the page asked (window.confirm), answered as `answer` says at the time. */
function questions(page: Page, answer: { accept: boolean } = { accept: false }): string[] {
  const asked: string[] = [];
  page.on('dialog', (d) => {
    asked.push(d.message());
    void (answer.accept ? d.accept() : d.dismiss());
  });
  return asked;
}
async function chooseExample(page: Page, title: string): Promise<void> {
  await page.getByRole('button', { name: 'Examples', exact: true }).click();
  await page.getByRole('button', { name: title, exact: true }).click();
}
const language = (id: string) => box().languages.info.find((l) => l.id === id)!;
const example = (id: string, title: string) => language(id).examples.find((e) => e.title === title)!;
const ASK = 'Ask for a name (reads input)';
/** Whether the page is wider than the screen (something sticks out sideways). */
const overflows = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
const closeAll = (page: Page) => page.context().close();

describe('examples and Reset to the template', () => {
  test.each([
    ['python', DESKTOP],
    ['go', PHONE],
  ])('%s: the example that reads input asks in the console, on a terminal, and answers what is typed', async (id, device) => {
    const page = await openPage(device);
    const asked = questions(page);
    await pickLanguage(page, id);
    await chooseExample(page, ASK);
    // the template unchanged is nothing of the visitor's: no question
    expect(asked).toEqual([]);
    expect(await code(page)).toBe(example(id, ASK).code);
    await page.getByRole('button', { name: 'Run code' }).click();
    await page.waitForFunction(() => window.runboxConsole?.text().endsWith('What is your name? '), undefined, { timeout: 60000 });
    await page.getByTestId('console').click();
    await page.keyboard.type('Ada');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.app[data-runs-finished="1"]', { timeout: 30000 });
    expect(await consoleText(page)).toBe('What is your name? Ada\nHello, Ada!');
    expect(await badge(page)).toBe('Success');
    expect(await overflows(page)).toBe(false);
    await closeAll(page);
  }, 90000);

  test('Reset asks before losing edits (declined: they stay); an example or the template unchanged is replaced without asking', async () => {
    const page = await openPage();
    const answer = { accept: false };
    const asked = questions(page, answer);
    await pickLanguage(page, 'python');
    await setCode(page, '# my own work\n');
    await page.getByRole('button', { name: 'Examples', exact: true }).click();
    await page.getByRole('button', { name: 'Reset to the template' }).click();
    expect(asked).toEqual([expect.stringMatching(/^Replace your current Python[ \d.]* code with the template\? Your code in the editor will be lost\.$/)]);
    expect(await code(page)).toBe('# my own work\n');

    answer.accept = true;
    await page.getByRole('button', { name: 'Examples', exact: true }).click();
    await page.getByRole('button', { name: 'Reset to the template' }).click();
    expect(asked).toHaveLength(2);
    expect(await code(page)).toBe(language('python').template);

    // from the template to an example and on to another: nothing of the visitor's is lost, nothing asked
    const [first, second] = language('python').examples.filter((e) => e.title !== ASK);
    await chooseExample(page, first!.title);
    expect(await code(page)).toBe(first!.code);
    await chooseExample(page, second!.title);
    expect(await code(page)).toBe(second!.code);
    expect(asked).toHaveLength(2);

    // an example edited is the visitor's own: asked, naming the example
    await setCode(page, `${second!.code}# changed\n`);
    answer.accept = false;
    await chooseExample(page, first!.title);
    expect(asked[2]).toMatch(new RegExp(`with the example “${first!.title.replace(/[()]/g, '\\$&')}”\\?`));
    expect(await code(page)).toBe(`${second!.code}# changed\n`);
    // the edit was kept across a reload too: the example never went over it
    await page.reload();
    await waitForEditor(page);
    expect(await code(page)).toBe(`${second!.code}# changed\n`);
    await closeAll(page);
  }, 60000);

  test('the menu is keyboard-usable: arrows move through it, Escape closes it and goes back to its button', async () => {
    const page = await openPage();
    await pickLanguage(page, 'ruby');
    const button = page.getByRole('button', { name: 'Examples', exact: true });
    await button.focus();
    await page.keyboard.press('Enter');
    expect(await button.getAttribute('aria-expanded')).toBe('true');
    const list = page.getByRole('group', { name: /Ruby.* examples/ });
    expect(await list.getByRole('button').allInnerTexts()).toEqual([...language('ruby').examples.map((e) => e.title), 'Reset to the template']);
    await page.keyboard.press('ArrowDown');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe(language('ruby').examples[0]!.title);
    await page.keyboard.press('ArrowUp');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Reset to the template');
    await page.keyboard.press('Escape');
    expect(await list.count()).toBe(0);
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toMatch(/^Examples/);
    // a click elsewhere closes it too
    await button.click();
    await page.getByTestId('console').click();
    expect(await list.count()).toBe(0);
    await closeAll(page);
  });

  test('the TypeScript examples have no type errors in the editor (Monaco’s TypeScript worker checks them)', async () => {
    const page = await openPage();
    questions(page, { accept: true });
    await pickLanguage(page, 'typescript');
    for (const { title } of language('typescript').examples) {
      // an error first, so an empty list is the worker's answer about the example, not a list not made yet
      await setCode(page, 'const n: number = "text";\n');
      await page.waitForFunction(() => window.runboxEditor!.markers('typescript').length > 0, undefined, { timeout: 30000 });
      await chooseExample(page, title);
      await page.waitForFunction(() => !window.runboxEditor!.markers('typescript').some((m) => /not assignable/.test(m.message)), undefined, { timeout: 30000 });
      // a suggestion is no error: Monaco's hint that a require could be an import (the entry's starter has it too)
      const markers = (await page.evaluate(() => window.runboxEditor!.markers('typescript'))).filter((m) => !/'require' call may be converted to an import/.test(m.message));
      expect({ title, markers }).toEqual({ title, markers: [] });
    }
    await closeAll(page);
  }, 60000);
});

describe('resizable panes', () => {
  test('dragging the bar with the mouse and the arrow keys resize the editor; the width survives a reload', async () => {
    const page = await openPage();
    const bar = page.getByRole('separator', { name: 'Width of the editor' });
    const editorWidth = async () => (await page.locator('#editor-pane').boundingBox())!.width;
    const monacoWidth = async () => (await page.locator('.monaco-editor').first().boundingBox())!.width;
    expect(await bar.getAttribute('aria-valuenow')).toBe('60');
    const before = { editor: await editorWidth(), cols: (await consoleSize(page)).cols };

    const at = (await bar.boundingBox())!;
    await page.mouse.move(at.x + at.width / 2, at.y + at.height / 2);
    await page.mouse.down();
    await page.mouse.move(at.x + at.width / 2 - 256, at.y + at.height / 2, { steps: 8 });
    await page.mouse.up();
    expect(Math.abs(Number(await bar.getAttribute('aria-valuenow')) - 40)).toBeLessThanOrEqual(1);
    expect(Math.abs(before.editor - 256 - (await editorWidth()))).toBeLessThanOrEqual(4);
    // the editor lays itself out again, and the console, wider now, holds more characters
    await page.waitForFunction((w) => Math.abs(document.querySelector('.monaco-editor')!.getBoundingClientRect().width - w) <= 2, await editorWidth());
    await page.waitForFunction((cols) => window.runboxConsole!.size().cols > cols + 20, before.cols);

    // the keyboard: a focusable separator, arrows by 2, Shift+arrows by 10, Home and End the bounds
    await bar.focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    const afterArrows = Number(await bar.getAttribute('aria-valuenow'));
    expect(Math.abs(afterArrows - 44)).toBeLessThanOrEqual(1);
    await page.keyboard.press('Shift+ArrowLeft');
    expect(Number(await bar.getAttribute('aria-valuenow'))).toBe(afterArrows - 10);
    await page.keyboard.press('Home');
    expect(await bar.getAttribute('aria-valuenow')).toBe('20');
    await page.keyboard.press('End');
    expect(await bar.getAttribute('aria-valuenow')).toBe('80');
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowLeft');
    expect(await bar.getAttribute('aria-valuenow')).toBe('70');
    const chosen = await editorWidth();
    expect(Math.abs(chosen - 0.7 * (await page.locator('.panes').boundingBox())!.width)).toBeLessThanOrEqual(8);

    await page.reload();
    await waitForEditor(page);
    expect(await page.getByRole('separator', { name: 'Width of the editor' }).getAttribute('aria-valuenow')).toBe('70');
    expect(Math.abs((await editorWidth()) - chosen)).toBeLessThanOrEqual(1);
    expect(Math.abs((await monacoWidth()) - chosen)).toBeLessThanOrEqual(4);
    // a double-click puts it back
    await page.getByRole('separator', { name: 'Width of the editor' }).dblclick();
    expect(await page.getByRole('separator', { name: 'Width of the editor' }).getAttribute('aria-valuenow')).toBe('60');
    await closeAll(page);
  }, 60000);

  test('on a phone: one column, no bar, nothing wider than the screen, the examples’ list on the screen', async () => {
    const page = await openPage(PHONE);
    expect(await page.getByRole('separator').count()).toBe(0);
    expect(await overflows(page)).toBe(false);
    const editor = (await page.locator('#editor-pane').boundingBox())!;
    const output = (await page.locator('.io-pane').boundingBox())!;
    expect(output.y).toBeGreaterThanOrEqual(editor.y + editor.height - 1);
    expect(editor.width).toBeLessThanOrEqual(390);
    await page.getByRole('button', { name: 'Examples', exact: true }).click();
    const list = (await page.locator('#examples-menu').boundingBox())!;
    expect(list.x).toBeGreaterThanOrEqual(0);
    expect(list.x + list.width).toBeLessThanOrEqual(390);
    expect(await overflows(page)).toBe(false);
    await page.screenshot({ path: `${OUTPUT_DIR}/newcomer-tools-phone-examples.png` });
    await closeAll(page);
  });
});

describe('a maximised console', () => {
  test.each([
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ])('%s: Maximise makes the console take the page (more columns and rows); Escape and the button bring it back', async (_, device) => {
    const page = await openPage(device);
    const before = await consoleSize(page);
    await page.getByRole('button', { name: 'Maximise console' }).click();
    await page.waitForFunction((s) => window.runboxConsole!.size().rows > s.rows, before);
    const big = await consoleSize(page);
    expect(big.cols).toBeGreaterThanOrEqual(before.cols);
    if (device === DESKTOP) expect(big.cols).toBeGreaterThan(before.cols + 40);
    expect(await page.locator('.monaco-editor').first().isVisible()).toBe(false);
    expect(await page.getByLabel('Input (stdin)').isVisible()).toBe(false);
    expect(await overflows(page)).toBe(false);
    const consoleBox = (await page.getByTestId('console').boundingBox())!;
    expect(consoleBox.y + consoleBox.height).toBeLessThanOrEqual((device.viewport.height) + 1);
    await page.screenshot({ path: `${OUTPUT_DIR}/newcomer-tools-maximised-${device === DESKTOP ? 'desktop' : 'phone'}.png` });

    // Escape (the focus on the button) brings it back, and the console its size
    await page.keyboard.press('Escape');
    await page.waitForFunction((s) => window.runboxConsole!.size().cols === s.cols && window.runboxConsole!.size().rows === s.rows, before);
    expect(await page.locator('.monaco-editor').first().isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Maximise console' }).click();
    await page.getByRole('button', { name: 'Restore console' }).click();
    await page.waitForFunction((s) => window.runboxConsole!.size().rows === s.rows, before);
    expect(await overflows(page)).toBe(false);
    await closeAll(page);
  }, 60000);

  test('a program in the maximised console gets its size and a new one when it is restored; Escape in the console is the program’s while it runs', async () => {
    const page = await openPage();
    await pickLanguage(page, 'python');
    await setCode(page, 'import os, signal, sys\nsignal.signal(signal.SIGWINCH, lambda *_: print("now", *os.get_terminal_size(), flush=True))\nprint("size", *os.get_terminal_size(), flush=True)\nprint("read", repr(sys.stdin.readline()))\n');
    await page.getByRole('button', { name: 'Maximise console' }).click();
    await page.waitForFunction(() => window.runboxConsole!.size().cols > 100);
    const big = await consoleSize(page);
    await page.keyboard.press('Control+Enter');
    await page.waitForFunction(() => window.runboxConsole?.text().includes('size '), undefined, { timeout: 30000 });
    expect(await consoleText(page)).toContain(`size ${big.cols} ${big.rows}`);
    // Escape typed into the console goes to the program (the terminal echoes it as ^[): the console stays big
    await page.getByTestId('console').click();
    await page.keyboard.press('Escape');
    await page.keyboard.type('x');
    expect(await page.getByRole('button', { name: 'Restore console' }).count()).toBe(1);
    // restored while it runs: the program is told the smaller size
    await page.getByRole('button', { name: 'Restore console' }).click();
    await page.waitForFunction((cols) => window.runboxConsole!.size().cols < cols, big.cols);
    const small = await consoleSize(page);
    await page.waitForFunction((s) => window.runboxConsole!.text().includes(`now ${s.cols} ${s.rows}`), small, { timeout: 10000 });
    await page.getByTestId('console').click();
    await page.keyboard.press('Enter');
    await page.waitForSelector('.app[data-runs-finished="1"]', { timeout: 30000 });
    expect(await consoleText(page)).toContain(`read '\\x1bx\\n'`);
    expect(await badge(page)).toBe('Success');
    await closeAll(page);
  }, 60000);
});

describe('text size', () => {
  const sizes = (page: Page) =>
    page.evaluate(() => ({
      editor: getComputedStyle(document.querySelector('.monaco-editor .view-lines')!).fontSize,
      console: getComputedStyle(document.querySelector('[data-testid="console"] .xterm-rows')!).fontSize,
    }));

  test.each([
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ])('%s: A+ and A− change the editor’s and the console’s text together (the console refits); the size survives a reload', async (_, device) => {
    const page = await openPage(device);
    expect(await sizes(page)).toEqual({ editor: '14px', console: '13px' });
    expect(await page.getByTestId('font-size').innerText()).toBe('14px');
    const before = await consoleSize(page);
    await page.getByRole('button', { name: 'Larger text' }).click();
    await page.getByRole('button', { name: 'Larger text' }).click();
    await page.waitForFunction(() => getComputedStyle(document.querySelector('.monaco-editor .view-lines')!).fontSize === '16px');
    expect(await sizes(page)).toEqual({ editor: '16px', console: '15px' });
    // bigger letters: fewer of them fit in the console's window
    await page.waitForFunction((cols) => window.runboxConsole!.size().cols < cols, before.cols);
    const larger = await consoleSize(page);
    expect(larger.rows).toBeLessThan(before.rows);

    await page.reload();
    await waitForEditor(page);
    await page.waitForFunction(() => getComputedStyle(document.querySelector('.monaco-editor .view-lines')!).fontSize === '16px');
    expect(await sizes(page)).toEqual({ editor: '16px', console: '15px' });
    expect(await consoleSize(page)).toEqual(larger);
    for (let i = 0; i < 4; i++) await page.getByRole('button', { name: 'Smaller text' }).click();
    await page.waitForFunction(() => getComputedStyle(document.querySelector('.monaco-editor .view-lines')!).fontSize === '12px');
    expect(await sizes(page)).toEqual({ editor: '12px', console: '11px' });
    expect((await consoleSize(page)).cols).toBeGreaterThan(before.cols);
    expect(await overflows(page)).toBe(false);
    await closeAll(page);
  }, 60000);

  test('the buttons stop at the bounds (10 to 24 px)', async () => {
    const page = await openPage();
    const smaller = page.getByRole('button', { name: 'Smaller text' });
    for (let i = 0; i < 4; i++) await smaller.click();
    expect(await page.getByTestId('font-size').innerText()).toBe('10px');
    expect(await smaller.isDisabled()).toBe(true);
    await page.evaluate(() => localStorage.setItem('runbox.fontSize', '99'));
    await page.reload();
    await waitForEditor(page);
    await page.waitForFunction(() => document.querySelector('[data-testid="font-size"]')?.textContent === '24px');
    expect(await page.getByRole('button', { name: 'Larger text' }).isDisabled()).toBe(true);
    await closeAll(page);
  });
});

describe('download', () => {
  async function download(page: Page, name: string | RegExp) {
    const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name }).click()]);
    return { name: file.suggestedFilename(), bytes: readFileSync((await file.path())!) };
  }

  test.each([
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ])('%s: one file downloads as itself; two as a zip holding both', async (_, device) => {
    const page = await openPage(device);
    await pickLanguage(page, 'python');
    const main = 'from helper import greet\nprint(greet("zip"))  # naïve ünïcödé\n';
    const helper = 'def greet(who):\n    return f"hello, {who}"\n';
    await setCode(page, main);
    const one = await download(page, 'Download main.py');
    expect(one).toEqual({ name: 'main.py', bytes: Buffer.from(main) });

    await page.getByRole('button', { name: 'Add a file' }).click();
    await page.keyboard.type('helper');
    await page.keyboard.press('Enter');
    await setCode(page, helper);
    const two = await download(page, 'Download the 2 files as a zip');
    expect(two.name).toBe('runbox-python.zip');
    const files = Object.fromEntries(Object.entries(unzipSync(new Uint8Array(two.bytes))).map(([name, data]) => [name, strFromU8(data)]));
    expect(files).toEqual({ 'main.py': main, 'helper.py': helper });
    // what was downloaded is what runs
    await runAndWait(page);
    expect((await consoleText(page)).trim()).toBe('hello, zip');
    await closeAll(page);
  }, 60000);
});

describe('accessibility', () => {
  test('axe finds nothing critical or serious with the new controls on the page (the examples open, the console maximised), light and dark, desktop and phone', async () => {
    const axe = readFileSync('node_modules/axe-core/axe.min.js', 'utf8');
    const check = async (page: Page, state: string) => {
      await page.addScriptTag({ content: axe });
      const violations = await page.evaluate(async () => {
        const axe = (window as unknown as { axe: { run(context: Document): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
        const { violations } = await axe.run(document);
        return violations.filter((v) => v.impact === 'critical' || v.impact === 'serious').map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) }));
      });
      expect({ state, violations }).toEqual({ state, violations: [] });
    };
    for (const scheme of ['light', 'dark'] as const) {
      for (const [device, options] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
        const context: BrowserContext = await web().browser.newContext({ ...options, colorScheme: scheme });
        const page = await web().openPage(context);
        await page.getByRole('button', { name: 'Larger text' }).click();
        await page.getByRole('button', { name: 'Examples', exact: true }).click();
        await check(page, `${scheme} ${device}, examples open`);
        if (device === 'desktop') await page.screenshot({ path: `${OUTPUT_DIR}/newcomer-tools-${scheme}.png` });
        await page.keyboard.press('Escape');
        await page.getByRole('button', { name: 'Maximise console' }).click();
        await check(page, `${scheme} ${device}, console maximised`);
        await context.close();
      }
    }
  }, 120000);

  test('no request ever left for another host', () => {
    expect(web().requested.length).toBeGreaterThan(20);
    expect(web().foreignRequests()).toEqual([]);
  });
});
