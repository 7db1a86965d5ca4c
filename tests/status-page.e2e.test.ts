import { describe, expect, test } from '@jest/globals';
import { isolationLayers } from '../frontend/lib/health-words.js';
import { OUTPUT_DIR, usePlayground } from './helpers/browser.js';

/**
 * The playground's status page in a real Chromium, in front of a real API: it says in words
 * what /api/health reports, lists the languages with their real versions, and its link opens
 * the API reference through the playground's own origin, with nothing fetched elsewhere.
 */
const { box, web } = usePlayground({ RUNBOX_USER_POOL: '1' });

describe('status page', () => {
  test('shows the isolation in force, the queue and pool, and every language with its version', async () => {
    const health = (await box().request('GET', '/api/health')).json;
    const languages = (await box().request('GET', '/api/languages')).json as { name: string; version: string }[];
    const page = await web().newPage();
    await page.goto(`${web().appUrl}/status`);
    await page.waitForSelector('[data-testid="isolation-layers"] li');
    expect(await page.getByTestId('status-headline').textContent()).toContain('Up and taking runs');
    expect(await page.getByRole('link', { name: 'Status' }).getAttribute('aria-current')).toBe('page');

    // every layer, and whether it is in force, as the server's own report says
    const shown = await page.$$eval('[data-testid="isolation-layers"] li', (items) => items.map((li) => ({ text: li.textContent ?? '', inForce: li.getAttribute('data-in-force') === 'true' })));
    const expected = isolationLayers(health.isolation);
    expect(shown.length).toBe(expected.length);
    for (const [i, layer] of expected.entries()) {
      expect(shown[i]!.text).toContain(layer.name);
      expect(shown[i]!.inForce).toBe(layer.inForce);
    }
    // this server runs with seccomp and blocked user namespaces (required layers): shown as in force
    expect(shown.find((l) => l.text.includes('System call filter'))!.inForce).toBe(true);

    const load = await page.getByTestId('load').textContent();
    expect(load).toContain(`of ${health.runs.concurrency} run slot`);
    expect(load).toContain(`the queue holds ${health.runs.maxQueue}`);
    expect(load).toContain(`of ${health.runs.live.max} live run`);

    await page.waitForSelector('[data-testid="languages"] tbody tr');
    const rows = await page.$$eval('[data-testid="languages"] tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent)));
    expect(rows.map((r) => r[0])).toEqual(languages.map((l) => l.name));
    for (const [i, l] of languages.entries()) expect(rows[i]![1]).toBe(l.version);
    await page.screenshot({ path: `${OUTPUT_DIR}/status-page.png`, fullPage: true });
    await page.context().close();
  });

  test('is in the site nav, and its API reference link opens the docs page from the same origin', async () => {
    const page = await web().newPage();
    await page.goto(`${web().appUrl}/problems`);
    await page.getByRole('link', { name: 'Status' }).click();
    await page.waitForURL('**/status');
    // the navigation is what this proves; the docs page's own loading is waited for by its content
    // (waiting for its load event timed out once in CI on a loaded machine)
    await Promise.all([page.waitForURL('**/api/docs', { waitUntil: 'commit' }), page.getByTestId('api-docs-link').click()]);
    await page.waitForSelector('.opblock', { timeout: 60000 });
    expect(await page.locator('.opblock-summary-path', { hasText: '/api/health' }).first().isVisible()).toBe(true);
    expect(web().foreignRequests()).toEqual([]);
    await page.context().close();
  });
});
