import { beforeAll, describe, expect, test } from '@jest/globals';
import { zipSync } from 'fflate';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Page, Response } from 'playwright-core';
import type { ProblemResponse } from '../backend/src/protocol.js';
import { formatLimits, formatOutputLimit } from '../frontend/lib/format.js';
import { OUTPUT_DIR, usePlayground, waitForEditor } from './helpers/browser.js';
import type {} from '../frontend/lib/test-hooks.js';

/**
 * A problem imported from a package (tests/packages/floatavg: LaTeX statement with math,
 * float tolerance, a sample and a secret group) in the playground, in a real Chromium
 * against the built app and a real API: the statement as the package writes it, runs on
 * the samples that judge nothing, the verdict by test group, and the admin's page that
 * verifies and imports a package's zip.
 */

const ADMIN_KEY = 'problems-page-e2e-admin-key-0123456789';
const { box, web } = usePlayground({ RUNBOX_ADMIN_KEY: ADMIN_KEY });

const PACKAGE = 'tests/packages/floatavg';
const SLUG = 'floatavg';

/** The package's folder as a zip (entries under floatavg/, as an archive of the folder is); `edit` may change files first. */
function packageZip(edit: (files: Record<string, Uint8Array>) => void = () => undefined): Uint8Array<ArrayBuffer> {
  const files: Record<string, Uint8Array> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const full = path.join(dir, entry);
      if (statSync(full).isDirectory()) walk(full);
      else files[`${SLUG}/${path.relative(PACKAGE, full)}`] = readFileSync(full);
    }
  };
  walk(PACKAGE);
  edit(files);
  return new Uint8Array(zipSync(files));
}

/**
 * An interactive problem written for this test (guess a number from 1 to 10): a Markdown
 * statement with math, one sample interaction, a Python validator that answers each guess.
 */
const GUESS = 'guessnum';
const guessSolution = 'lo, hi = 1, 10\nwhile True:\n    m = (lo + hi) // 2\n    print(m, flush=True)\n    r = input()\n    if r == "correct":\n        break\n    lo, hi = (m + 1, hi) if r == "higher" else (lo, m - 1)\n';
function guessZip(): Uint8Array<ArrayBuffer> {
  const text: Record<string, string> = {
    'problem.yaml': 'name: Guess the number\nsource: runbox test suite\nsource_url: https://example.com/problems/guess\nauthor: A. Tester\nlicense: cc0\nvalidation: custom interactive\n',
    'problem_statement/problem.en.md':
      '# Guess the number\n\nThe judge thinks of a number $x$ with $1 \\le x \\le 10$. Find it.\n\n## Interaction\n\nPrint a guess on a line of its own and flush; read `higher`, `lower` or `correct`. Stop after `correct`.\n',
    'data/sample/1.in': '7\n',
    'data/sample/1.ans': '7\n',
    'data/sample/1.interaction': '>5\n<higher\n>8\n<lower\n>6\n<higher\n>7\n<correct\n',
    'data/secret/1.in': '3\n',
    'data/secret/1.ans': '3\n',
    'data/secret/2.in': '10\n',
    'data/secret/2.ans': '10\n',
    'output_validators/guess/validate.py': [
      'import sys',
      'x = int(open(sys.argv[1]).read())',
      'for _ in range(10):',
      '    line = sys.stdin.readline()',
      '    try:',
      '        guess = int(line)',
      '    except ValueError:',
      '        sys.exit(43)',
      '    if guess == x:',
      '        print("correct", flush=True)',
      '        sys.exit(42)',
      '    print("higher" if guess < x else "lower", flush=True)',
      'sys.exit(43)',
      '',
    ].join('\n'),
    'submissions/accepted/guess.py': guessSolution,
  };
  return new Uint8Array(zipSync(Object.fromEntries(Object.entries(text).map(([name, content]) => [`${GUESS}/${name}`, new TextEncoder().encode(content)]))));
}

const right = 'n = int(input())\na = list(map(int, input().split()))\nprint(f"{sum(a) / n:.9f}")\n';
/** rounds to two places: wrong on the sample already (the tolerance is 1e-6) */
const rounded = 'n = int(input())\na = list(map(int, input().split()))\nprint(f"{sum(a) / n:.2f}")\n';
/** right on the sample (n = 3), integer division on every other input: wrong in secret */
const wrongInSecret = 'n = int(input())\na = list(map(int, input().split()))\nprint(f"{sum(a) / n:.9f}" if n == 3 else sum(a) // n)\n';

let problem: ProblemResponse;

beforeAll(async () => {
  const res = await fetch(`${box().url}/api/admin/problems/import`, {
    method: 'POST',
    headers: { 'content-type': 'application/zip', authorization: `Bearer ${ADMIN_KEY}` },
    body: packageZip(),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`import answered ${res.status}: ${text}`);
  problem = (await box().request('GET', `/api/problems/${SLUG}`)).json as ProblemResponse;
  const interactive = await fetch(`${box().url}/api/admin/problems/import`, {
    method: 'POST',
    headers: { 'content-type': 'application/zip', authorization: `Bearer ${ADMIN_KEY}` },
    body: guessZip(),
  });
  if (interactive.status !== 201) throw new Error(`import of ${GUESS} answered ${interactive.status}: ${await interactive.text()}`);
}, 240000);

async function openProblem(page: Page): Promise<void> {
  await page.goto(`${web().appUrl}/problems/${SLUG}`);
  await waitForEditor(page);
  await page.getByTestId('statement').locator('.katex').first().waitFor();
}

async function setPython(page: Page, code: string): Promise<void> {
  await page.selectOption('select[aria-label="Language"]', 'python');
  await page.evaluate((c) => window.runbox!.setCode(c), code);
}

/** Clicks a run button and waits until every run it started is shown. */
async function runAndShow(page: Page, button: string): Promise<void> {
  await page.getByRole('button', { name: button }).click();
  await page.waitForSelector('[data-testid="sample-runs"][data-state="done"]', { timeout: 60000 });
}

async function submit(page: Page, code: string): Promise<void> {
  await setPython(page, code);
  await page.getByRole('button', { name: 'Submit' }).click();
  await page.getByTestId('judge-status').waitFor({ timeout: 90000 });
}

/** Every heading of the page in document order, as levels: none may skip a level going down. */
const headingLevels = (page: Page) => page.$$eval('h1, h2, h3, h4, h5, h6', (hs) => hs.filter((h) => (h as HTMLElement).offsetParent !== null).map((h) => Number(h.tagName[1])));

function expectHeadingsInOrder(levels: number[]): void {
  expect(levels[0]).toBe(1);
  for (let i = 1; i < levels.length; i++) expect(levels[i]! - levels[i - 1]!).toBeLessThanOrEqual(1);
}

/**
 * The lowest contrast (WCAG's ratio) between the text of the elements `selector` finds and
 * the background behind it (the nearest ancestor that paints one).
 */
const lowestContrast = (page: Page, selector: string) =>
  page.$$eval(selector, (els) => {
    const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
    const luminance = ([r, g, b]: number[]) => {
      const lin = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * lin(r!) + 0.7152 * lin(g!) + 0.0722 * lin(b!);
    };
    const background = (el: Element | null): number[] => {
      for (; el; el = el.parentElement) {
        const c = rgb(getComputedStyle(el).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3]! > 0)) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const ratios = els
      .filter((el) => (el as HTMLElement).offsetParent !== null && (el.textContent ?? '').trim() !== '')
      .map((el) => {
        const [a, b] = [luminance(rgb(getComputedStyle(el).color)), luminance(background(el))];
        return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      });
    return ratios.length ? Math.min(...ratios) : null;
  });

describe('a package problem on its page', () => {
  test('the statement with its math typeset, KaTeX’s stylesheet and fonts from the same origin; samples, limits and credit', async () => {
    const context = await web().browser.newContext();
    const page = await web().newPage(context);
    const responses: Response[] = [];
    page.on('response', (r) => responses.push(r));
    await openProblem(page);

    expect(await page.getByRole('heading', { level: 2 }).first().innerText()).toBe('Average');
    const statement = page.getByTestId('statement');
    await expect(statement.innerText()).resolves.toMatch(/Print the average of/);
    expect(await statement.locator('.katex').count()).toBeGreaterThanOrEqual(4);
    // the math is KaTeX's HTML (drawn by its stylesheet) with MathML for screen readers
    expect(await statement.locator('.katex-html').count()).toBeGreaterThan(0);
    expect(await statement.locator('.katex-mathml math').count()).toBeGreaterThan(0);
    // the statement's sections sit under the problem's title
    expect(await statement.locator('h3').allInnerTexts()).toEqual(['Input', 'Output']);
    expectHeadingsInOrder(await headingLevels(page));

    // KaTeX's fonts load, from this origin; its stylesheet came from this origin too
    expect(await page.evaluate(async () => (await document.fonts.ready, document.fonts.check('16px KaTeX_Main')))).toBe(true);
    const fonts = responses.filter((r) => /KaTeX_[\w-]+\.[\w.]*woff2$/.test(new URL(r.url()).pathname));
    expect(fonts.length).toBeGreaterThan(0);
    for (const f of fonts) {
      expect(f.url().startsWith(`${web().appUrl}/`)).toBe(true);
      expect(f.status()).toBe(200);
    }
    const sheet = await page.evaluate(() =>
      Array.from(document.styleSheets).find((s) => Array.from(s.cssRules).some((r) => r instanceof CSSStyleRule && r.selectorText === '.katex'))?.href,
    );
    expect(sheet?.startsWith(`${web().appUrl}/`)).toBe(true);
    expect(responses.find((r) => r.url() === sheet)?.status()).toBe(200);

    // the sample, the limits (output too) and where the problem comes from
    const trimmed = (texts: string[]) => texts.map((t) => t.trimEnd());
    expect(trimmed(await page.getByTestId('sample-input').allInnerTexts())).toEqual(['3\n1 2 4']);
    expect(trimmed(await page.getByTestId('sample-expected').allInnerTexts())).toEqual(['2.333333333']);
    const limits = await page.getByTestId('limits').innerText();
    expect(limits).toContain(`${formatLimits(problem)} · output ${formatOutputLimit(problem.package!.outputLimitKb)}`);
    expect(limits).toContain('1 sample · 3 hidden tests');
    const credit = await page.getByTestId('credit').innerText();
    expect(credit).toContain('Source: runbox test suite');
    expect(credit).toContain('Licence: cc0');
    expect(web().foreignRequests()).toEqual([]);
    await context.close();
  }, 90000);

  test('Run on samples runs the program (/api/execute) and shows its output against the answer; custom input runs too; nothing is judged', async () => {
    const context = await web().browser.newContext();
    const page = await web().newPage(context);
    const posts: string[] = [];
    page.on('request', (r) => r.method() === 'POST' && posts.push(new URL(r.url()).pathname));
    await openProblem(page);

    // by keyboard: the run button comes right after Submit
    await setPython(page, right);
    await page.getByRole('button', { name: 'Submit' }).focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Run on samples');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid="sample-runs"][data-state="done"]', { timeout: 60000 });
    const run = page.getByTestId('sample-run');
    expect(await run.count()).toBe(1);
    expect(await run.getAttribute('data-match')).toBe('true');
    expect((await run.getByTestId('sample-run-stdout').innerText()).trim()).toBe('2.333333333');
    expect((await run.getByTestId('sample-run-expected').innerText()).trimEnd()).toBe('2.333333333');
    await expect(run.locator('summary').innerText()).resolves.toContain('Sample 1: Matches the expected output');
    await expect(page.getByTestId('run-summary').innerText()).resolves.toMatch(/^1 of 1 sample matches the expected output\. This was a run, not a submission\.$/);

    await setPython(page, rounded);
    await runAndShow(page, 'Run on samples');
    expect(await run.getAttribute('data-match')).toBe('false');
    expect((await run.getByTestId('sample-run-stdout').innerText()).trim()).toBe('2.33');
    await expect(run.getByTestId('sample-run-diff').innerText()).resolves.toContain('"2.33" where "2.333333333" was expected');
    await expect(page.getByTestId('run-summary').innerText()).resolves.toMatch(/^0 of 1 sample/);

    // custom input: the program's output, no answer to compare with
    await page.locator('summary', { hasText: 'Custom input' }).click();
    await page.getByLabel('Input for your program (stdin)').fill('4\n10 20 30 41\n');
    await runAndShow(page, 'Run on this input');
    expect(await run.count()).toBe(1);
    expect(await run.getAttribute('data-match')).toBeNull();
    expect((await run.getByTestId('sample-run-stdout').innerText()).trim()).toBe('25.25');
    await expect(page.getByTestId('run-summary').innerText()).resolves.toBe('Success. This was a run, not a submission.');

    // a run, not a submission: three runs through /api/execute, not one call to the judge
    expect(posts).toEqual(['/api/execute', '/api/execute', '/api/execute']);
    expect(await page.getByTestId('judge-status').count()).toBe(0);
    await context.close();
  }, 120000);

  test('a wrong submission: the verdict table under its test groups, the failing group marked, the validator’s message on the sample', async () => {
    const context = await web().browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await web().newPage(context);
    await openProblem(page);
    const groups = () =>
      page.getByTestId('verdict-group').evaluateAll((bodies) =>
        bodies.map((b) => ({
          name: b.getAttribute('data-group'),
          status: b.getAttribute('data-status'),
          head: (b.querySelector('.group-row') as HTMLElement).innerText,
          tests: Array.from(b.querySelectorAll('[data-testid="verdict-row"]'), (r) => Array.from(r.querySelectorAll('td'), (td) => td.textContent)),
        })),
      );

    await submit(page, wrongInSecret);
    expect(await page.getByTestId('judge-status').innerText()).toBe('Wrong answer');
    const judged = await groups();
    expect(judged.map((g) => [g.name, g.status])).toEqual([
      ['sample', 'accepted'],
      ['secret', 'wrong_answer'],
    ]);
    expect(judged[0]!.head).toMatch(/^sample\s+Accepted · 1\/1 passed$/);
    expect(judged[1]!.head).toMatch(/^secret\s+Wrong answer · 0\/3 passed$/);
    expect(judged[0]!.tests.map((t) => t.slice(0, 3))).toEqual([['1', 'Sample', 'Accepted']]);
    expect(judged[1]!.tests.map((t) => t.slice(0, 3))).toEqual([['2', 'Hidden', 'Wrong answer']]);
    // judging stopped at the failing test: the two after it did not run
    await expect(page.getByTestId('tests-not-run').innerText()).resolves.toMatch(/^2 tests were not run/);
    expectHeadingsInOrder(await headingLevels(page));

    await submit(page, rounded);
    expect(await page.getByTestId('judge-status').innerText()).toBe('Wrong answer');
    expect((await groups()).map((g) => [g.name, g.status])).toEqual([['sample', 'wrong_answer']]);
    await expect(page.getByTestId('test-message').innerText()).resolves.toContain('"2.33" where "2.333333333" was expected');
    await expect(page.getByTestId('sample-detail').locator('summary').innerText()).resolves.toBe('Sample test 1 (sample/1): wrong answer');
    await page.screenshot({ path: `${OUTPUT_DIR}/problem-package-verdict.png`, fullPage: true });
    await context.close();
  }, 240000);

  test('light and dark: the new parts read with enough contrast; screenshots', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      const context = await web().browser.newContext({ colorScheme: scheme, viewport: { width: 1280, height: 900 } });
      const page = await web().newPage(context);
      await openProblem(page);
      await setPython(page, rounded);
      await runAndShow(page, 'Run on samples');
      expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe(scheme);
      const readable = async (selectors: string[]) => {
        for (const selector of selectors) {
          const ratio = await lowestContrast(page, selector);
          expect([scheme, selector, ratio !== null && ratio >= 4.5]).toEqual([scheme, selector, true]);
        }
      };
      await readable([
        'button.run',
        '[data-testid="statement"] p',
        '[data-testid="statement"] h3',
        '[data-testid="credit"]',
        '[data-testid="limits"]',
        '[data-testid="sample-run"] summary *',
        '[data-testid="sample-run-diff"]',
        '.custom-input summary',
        '[data-testid="run-summary"]',
      ]);
      await page.screenshot({ path: `${OUTPUT_DIR}/problem-package-${scheme}.png`, fullPage: true });
      await submit(page, rounded);
      await readable(['.group-row th > span', '[data-testid="verdict-row"] td', '.message-row td > span', '[data-testid="tests-not-run"]']);
      await context.close();
    }
  }, 120000);
});

describe('an interactive package problem', () => {
  test('its sample is a conversation in two columns; no run on samples, custom input instead; a right solution is accepted', async () => {
    const context = await web().browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await web().newPage(context);
    await page.goto(`${web().appUrl}/problems/${GUESS}`);
    await waitForEditor(page);
    const statement = page.getByTestId('statement');
    await statement.locator('.katex').first().waitFor();
    await expect(statement.innerText()).resolves.toMatch(/thinks of a number/);
    // a Markdown statement's ## heading, under the title like a LaTeX one's sections
    expect(await statement.locator('h3').allInnerTexts()).toEqual(['Interaction']);
    expectHeadingsInOrder(await headingLevels(page));

    // the conversation: what the program reads on the left, what it writes on the right
    const table = page.getByTestId('interaction');
    expect(await table.locator('thead th').allInnerTexts()).toEqual(['Your program reads', 'Your program writes']);
    const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => (td.textContent ?? '').trim())));
    expect(rows).toEqual([['', '5'], ['higher', ''], ['', '8'], ['lower', ''], ['', '6'], ['higher', ''], ['', '7'], ['correct', '']]);
    expect(await page.getByTestId('sample-input').count()).toBe(0);
    const credit = page.getByTestId('credit');
    expect(await credit.getByRole('link', { name: 'runbox test suite' }).getAttribute('href')).toBe('https://example.com/problems/guess');
    await expect(credit.innerText()).resolves.toContain('Author: A. Tester');

    // its samples cannot run without the judge's side: custom input is open instead, and says why
    expect(await page.getByRole('button', { name: 'Run on samples' }).count()).toBe(0);
    await expect(page.locator('#interactive-note').innerText()).resolves.toMatch(/interactive/);
    await setPython(page, guessSolution);
    await page.getByLabel('Input for your program (stdin)').fill('higher\nlower\ncorrect\n');
    await runAndShow(page, 'Run on this input');
    expect((await page.getByTestId('sample-run-stdout').innerText()).trim()).toBe('5\n8\n6');

    await page.getByRole('button', { name: 'Submit' }).click();
    await page.getByTestId('judge-status').waitFor({ timeout: 90000 });
    expect(await page.getByTestId('judge-status').innerText()).toBe('Accepted');
    expect(await page.getByTestId('verdict-group').evaluateAll((bs) => bs.map((b) => b.getAttribute('data-group')))).toEqual(['sample', 'secret']);
    await page.screenshot({ path: `${OUTPUT_DIR}/problem-interactive.png`, fullPage: true });
    await context.close();
  }, 180000);
});

describe('the admin page for problem packages', () => {
  test("a large zip passes the playground's proxy whole, the admin's Bearer key with it; Basic credentials do not", async () => {
    // 40 MB that do not compress, stored: the zip's directory, at its end, is read only if every byte came through
    const big = new Uint8Array(40 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 65536) crypto.getRandomValues(big.subarray(i, i + 65536));
    const zip = packageZip((files) => {
      files[`${SLUG}/attachments/big.bin`] = big;
    });
    expect(zip.length).toBeGreaterThan(40 * 1024 * 1024);
    const res = await fetch(`${web().appUrl}/api/admin/problems/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/zip', authorization: `Bearer ${ADMIN_KEY}` },
      body: zip,
    });
    const report = (await res.json()) as { passed: number; failed: number };
    expect([res.status, report.passed, report.failed]).toEqual([200, 5, 0]);
    // a browser's Basic credentials (a playground behind a password) stay in the proxy: the API would refuse them (401)
    const basic = await fetch(`${web().appUrl}/api/problems`, { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(basic.status).toBe(200);
  }, 180000);


  test('verifies and imports a zip (report per solution), names the file and line of a broken package, refuses a wrong key', async () => {
    const context = await web().browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await web().newPage(context);
    await page.goto(`${web().appUrl}/admin/problems`);
    await page.getByRole('heading', { name: 'Problem packages' }).waitFor();
    expectHeadingsInOrder(await headingLevels(page));
    await page.getByLabel('Admin key').fill(ADMIN_KEY);
    await page.getByLabel(/^Package \(\.zip/).setInputFiles({ name: 'floatavg.zip', mimeType: 'application/zip', buffer: Buffer.from(packageZip()) });

    const rows = () =>
      page.getByTestId('report-row').evaluateAll((trs) => trs.map((tr) => [...Array.from(tr.querySelectorAll('td'), (td) => (td as HTMLElement).innerText), tr.getAttribute('data-passed')]));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByTestId('package-report').waitFor({ timeout: 180000 });
    await expect(page.locator('#report-title').innerText()).resolves.toBe('Verified: nothing was stored');
    await expect(page.getByTestId('report-summary').innerText()).resolves.toMatch(/^5 passed, 0 failed · time limit \d+ (s|ms) \(from /);
    const verified = await rows();
    expect(verified.map((r) => [r[0], r[2], r[6], r[7]]).sort()).toEqual(
      [
        ['submissions/accepted/avg.cpp', 'Accepted', 'Pass', 'true'],
        ['submissions/accepted/avg.py', 'Accepted', 'Pass', 'true'],
        ['submissions/run_time_error/crash.py', 'Runtime error', 'Pass', 'true'],
        ['submissions/time_limit_exceeded/spin.py', 'Time limit exceeded', 'Pass', 'true'],
        ['submissions/wrong_answer/rounded.py', 'Wrong answer', 'Pass', 'true'],
      ].sort(),
    );
    // the slowest test against the limit: the spinning solution passes its limit
    const spin = verified.find((r) => r[0]!.includes('spin.py'))!;
    expect(Number(spin[4]!.replace(' ms', ''))).toBeGreaterThanOrEqual(Number(spin[5]!.replace(' ms', '')));
    expectHeadingsInOrder(await headingLevels(page));
    await page.screenshot({ path: `${OUTPUT_DIR}/admin-packages.png`, fullPage: true });

    // imported before (through the API): this import replaces it
    await page.getByRole('button', { name: 'Import' }).click();
    await page.locator('#report-title', { hasText: 'Imported' }).waitFor({ timeout: 180000 });
    await expect(page.locator('#report-title').innerText()).resolves.toBe(`Imported: ${SLUG} replaced`);
    expect(await page.getByRole('link', { name: 'Open the problem' }).getAttribute('href')).toBe(`/problems/${SLUG}`);
    // the key stays in this tab's session only
    expect(await page.evaluate(() => [sessionStorage.getItem('runbox.adminKey'), Object.values(localStorage).some((v) => v.includes('admin-key'))])).toEqual([ADMIN_KEY, false]);

    // a broken problem.yaml: the file and line, nothing judged
    const broken = packageZip((files) => {
      files[`${SLUG}/problem.yaml`] = Buffer.from(readFileSync(`${PACKAGE}/problem.yaml`, 'utf8').replace('memory: 256', 'memory: lots'));
    });
    await page.getByLabel(/^Package \(\.zip/).setInputFiles({ name: 'broken.zip', mimeType: 'application/zip', buffer: Buffer.from(broken) });
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByTestId('package-error').waitFor({ timeout: 60000 });
    await expect(page.getByTestId('package-error-where').innerText()).resolves.toMatch(/^problem\.yaml, line 6:/);
    expect(await page.getByTestId('package-report').count()).toBe(0);

    // a wrong key is refused in words
    await page.getByLabel('Admin key').fill('not-the-key');
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect(page.getByTestId('admin-error').innerText()).resolves.toMatch(/admin key is not right/);
    expect(web().foreignRequests()).toEqual([]);
    await context.close();
  }, 420000);
});
