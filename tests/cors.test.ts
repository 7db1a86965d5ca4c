import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { startTestRunbox, type TestRunbox } from './helpers/runbox.js';

let box: TestRunbox;
beforeAll(async () => {
  box = await startTestRunbox({ RUNBOX_CORS_ORIGINS: 'https://play.example.com', RUNBOX_USER_POOL: '0' });
});
afterAll(() => box.shutdown());

test('a listed origin gets a preflight answer and CORS headers', async () => {
  const pre = await fetch(`${box.url}/api/execute`, { method: 'OPTIONS', headers: { origin: 'https://play.example.com', 'access-control-request-method': 'POST' } });
  expect(pre.status).toBe(204);
  expect(pre.headers.get('access-control-allow-origin')).toBe('https://play.example.com');
  expect(pre.headers.get('access-control-allow-headers')).toMatch(/content-type/i);
  const get = await fetch(`${box.url}/api/languages`, { headers: { origin: 'https://play.example.com' } });
  expect(get.headers.get('access-control-allow-origin')).toBe('https://play.example.com');
});

test('any other origin gets no CORS headers', async () => {
  const get = await fetch(`${box.url}/api/languages`, { headers: { origin: 'https://evil.example.net' } });
  expect(get.status).toBe(200);
  expect(get.headers.get('access-control-allow-origin')).toBeNull();
});
