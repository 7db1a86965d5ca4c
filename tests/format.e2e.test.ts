import { describe, expect, test } from '@jest/globals';
import type { Page } from 'playwright-core';
import { usePlayground } from './helpers/browser.js';
import type {} from '../frontend/lib/test-hooks.js';

/**
 * The playground's Format button in a real Chromium against the built app and a real runbox
 * API: it formats the open file with the language's formatter as an edit Ctrl+Z undoes,
 * shows the formatter's error and marks its line, and is not there for a language without
 * a formatter.
 */

const { web } = usePlayground();

const MESSY_GO = 'package main\nimport "fmt"\nfunc main(){\nx:=[]int{1,2,3}\nfmt.Println( x )\n}\n';
const GOFMT_GO = 'package main\n\nimport "fmt"\n\nfunc main() {\n\tx := []int{1, 2, 3}\n\tfmt.Println(x)\n}\n';

const code = (page: Page) => page.evaluate(() => window.runbox!.getCode());
const codeBecomes = (page: Page, expected: string) => page.waitForFunction((e) => window.runbox!.getCode() === e, expected, { timeout: 30000 });
const formatButton = (page: Page) => page.getByRole('button', { name: 'Format', exact: true });

async function openWith(language: string, source: string): Promise<Page> {
  const page = await web().openPage();
  await page.selectOption('select[aria-label="Language"]', language);
  await page.evaluate((c) => window.runbox!.setCode(c), source);
  return page;
}

describe('Format', () => {
  test("Format makes messy Go code gofmt's; Ctrl+Z undoes it; Shift+Alt+F in the editor formats it again", async () => {
    const page = await openWith('go', MESSY_GO);
    await formatButton(page).click();
    await codeBecomes(page, GOFMT_GO);
    // the editor shows it, not only the page's state (Monaco draws spaces as no-break ones)
    expect((await page.locator('.monaco-editor .view-lines').innerText()).replace(/\u00a0/g, ' ')).toContain('x := []int{1, 2, 3}');
    await page.locator('.monaco-editor textarea').first().focus();
    await page.keyboard.press('Control+Z');
    await codeBecomes(page, MESSY_GO);
    await page.keyboard.press('Shift+Alt+F');
    await codeBecomes(page, GOFMT_GO);
    expect(await page.locator('[data-testid="format-error"]').count()).toBe(0);
    await page.context().close();
  });

  test("gofmt's error on broken code is shown, its line marked, and the code left as it was", async () => {
    const broken = 'package main\n\nfunc main() {\n\tx := 1 +\n}\n';
    const page = await openWith('go', broken);
    await formatButton(page).click();
    const error = page.locator('[data-testid="format-error"]');
    await error.waitFor({ timeout: 30000 });
    expect(await error.innerText()).toMatch(/gofmt could not format main\.go \(line 5\):\s*<standard input>:5:1: expected operand/);
    expect(await page.evaluate(() => window.runboxEditor!.markers())).toEqual([{ line: 5, message: expect.stringMatching(/expected operand/) }]);
    expect(await code(page)).toBe(broken);
    // fixed and formatted, the error and the marker go
    await page.evaluate((c) => window.runbox!.setCode(c), 'package main\n\nfunc main() {\n\tx := 1 +  2\n\t_ = x\n}\n');
    await formatButton(page).click();
    await codeBecomes(page, 'package main\n\nfunc main() {\n\tx := 1 + 2\n\t_ = x\n}\n');
    await error.waitFor({ state: 'detached' });
    expect(await page.evaluate(() => window.runboxEditor!.markers())).toEqual([]);
    await page.context().close();
  });

  test('the button is there for each language with a formatter, and absent for one without', async () => {
    const page = await web().openPage();
    for (const language of ['python', 'go', 'rust', 'c', 'cpp']) {
      await page.selectOption('select[aria-label="Language"]', language);
      await expect(formatButton(page).isEnabled()).resolves.toBe(true);
    }
    for (const language of ['java', 'javascript']) {
      await page.selectOption('select[aria-label="Language"]', language);
      expect(await formatButton(page).count()).toBe(0);
    }
    await page.context().close();
  });
});
