import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CallbackPolicy } from '../backend/src/submissions/callback-address.js';
import { deliverCallback, signCallback } from '../backend/src/submissions/callback-delivery.js';

/**
 * Where a submission's callback may go (SSRF, Judge0's CVE-2024-29021): every range an
 * attacker would aim at is refused, in every spelling, and a name is judged by the
 * addresses it really resolves to when the callback is sent.
 */

const strict = new CallbackPolicy([]);

describe('addresses', () => {
  test.each([
    '127.0.0.1',
    '127.255.255.254',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '100.64.0.1',
    '100.100.100.200', // Alibaba Cloud metadata
    '169.254.169.254', // AWS, GCP, Azure metadata
    '168.63.129.16', // Azure wireserver
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::',
    '::1',
    'fe80::1',
    'fc00::1',
    'fd00:ec2::254', // AWS metadata over IPv6
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:169.254.169.254',
    '::ffff:10.0.0.1',
    '64:ff9b::a00:1',
    '2002:7f00:1::',
  ])('%s is refused', (address) => {
    expect(strict.refusal(address)).toMatch(new RegExp(`^${address.replace(/[.]/g, '\\.')} is (a|an) `));
  });

  test.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('%s is allowed', (address) => {
    expect(strict.refusal(address)).toBeNull();
  });

  test('the allowlist opens exactly the addresses, networks and names it lists', () => {
    const policy = new CallbackPolicy(['10.1.0.0/16', '127.0.0.2', 'fd00::/8', 'hooks.internal']);
    expect(policy.refusal('10.1.2.3')).toBeNull();
    expect(policy.refusal('10.2.0.1')).toMatch(/private/);
    expect(policy.refusal('127.0.0.2')).toBeNull();
    expect(policy.refusal('127.0.0.1')).toMatch(/loopback/);
    expect(policy.refusal('fd12::1')).toBeNull();
    expect(policy.allowsHost('HOOKS.internal.')).toBe(true);
    expect(policy.allowsHost('other.internal')).toBe(false);
  });
});

describe('callback URLs at submit time', () => {
  test.each([
    ['ftp://example.com/x', /http:\/\/ or https:\/\//],
    ['file:///etc/passwd', /http:\/\/ or https:\/\//],
    ['javascript:alert(1)', /http:\/\/ or https:\/\//],
    ['not a url', /absolute/],
    ['http://user:secret@example.com/', /user name or password/],
    ['http://127.0.0.1:8080/hook', /loopback/],
    ['http://0x7f.1/', /loopback/],
    ['http://2130706433/', /loopback/],
    ['http://[::1]/', /loopback/],
    ['http://[::ffff:127.0.0.1]/', /loopback/],
    ['http://169.254.169.254/latest/meta-data/', /link-local/],
    ['http://10.0.0.5/', /private/],
    ['https://[fd00:ec2::254]/', /unique local/],
  ])('%s is refused', (url, reason) => {
    expect(strict.urlProblem(url)).toMatch(reason);
  });

  test('public addresses and names pass (names are checked when the callback is sent)', () => {
    expect(strict.urlProblem('https://example.com/hook?token=1')).toBeNull();
    expect(strict.urlProblem('http://8.8.8.8/')).toBeNull();
    expect(strict.urlProblem('http://localhost:3000/')).toBeNull();
  });
});

describe('delivery', () => {
  const TRY = { submissionId: 'abc', deliveryId: 'delivery-1', attempt: 1 };
const SECRET = 'callback-test-secret-0123456789';
  let receiver: http.Server;
  let port = 0;
  const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];

  beforeAll(async () => {
    receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.end('ok');
      });
    });
    // every 127.x address is loopback on Linux: 127.0.0.2 can be allowlisted alone
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.2', () => r()));
    port = (receiver.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => receiver.close(() => r())));

  test('an allowlisted receiver gets the body with a signature it can verify', async () => {
    received.length = 0;
    const body = JSON.stringify({ id: 'abc', status: 'ok' });
    const result = await deliverCallback(`http://127.0.0.2:${port}/hook`, { submissionId: 'abc', deliveryId: 'delivery-1', attempt: 3 }, body, [SECRET], new CallbackPolicy(['127.0.0.2']));
    expect(result).toEqual({ ok: true, status: 200 });
    const [got] = received;
    expect(got!.body).toBe(body);
    expect(got!.headers['x-runbox-submission']).toBe('abc');
    expect(got!.headers['x-runbox-delivery']).toBe('delivery-1');
    expect(got!.headers['x-runbox-attempt']).toBe('3');
    const timestamp = Number(got!.headers['x-runbox-timestamp']);
    expect(Math.abs(timestamp - Date.now() / 1000)).toBeLessThan(60);
    const expected = `sha256=${createHmac('sha256', SECRET).update(`${timestamp}.${body}`).digest('hex')}`;
    const signature = String(got!.headers['x-runbox-signature']);
    expect(timingSafeEqual(Buffer.from(signature), Buffer.from(expected))).toBe(true);
    expect(signCallback(SECRET, timestamp, body)).toBe(expected);
  });

  test('during a secret rotation the header carries a signature per secret, the new one first: either secret verifies', async () => {
    received.length = 0;
    const body = JSON.stringify({ id: 'abc' });
    const previous = 'previous-secret-0123456789';
    expect(await deliverCallback(`http://127.0.0.2:${port}/hook`, TRY, body, [SECRET, previous], new CallbackPolicy(['127.0.0.2']))).toEqual({ ok: true, status: 200 });
    const timestamp = Number(received[0]!.headers['x-runbox-timestamp']);
    const signatures = String(received[0]!.headers['x-runbox-signature']).split(',');
    expect(signatures).toEqual([signCallback(SECRET, timestamp, body), signCallback(previous, timestamp, body)]);
  });

  test('without the allowlist the same receiver is refused for good, and never called', async () => {
    received.length = 0;
    const result = await deliverCallback(`http://127.0.0.2:${port}/hook`, TRY, '{}', [SECRET], strict);
    expect(result).toMatchObject({ ok: false, permanent: true, error: expect.stringMatching(/loopback/) });
    expect(received).toEqual([]);
  });

  test('a name resolving to loopback is refused when the callback is sent, also with the address allowlisted under another name', async () => {
    received.length = 0;
    const result = await deliverCallback(`http://localhost:${port}/hook`, TRY, '{}', [SECRET], new CallbackPolicy(['127.0.0.2']));
    expect(result).toMatchObject({ ok: false, permanent: true, error: expect.stringMatching(/localhost resolves to .*loopback/) });
    expect(received).toEqual([]);
  });
});
