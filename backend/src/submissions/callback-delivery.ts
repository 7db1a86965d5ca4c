import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { RefusedAddressError, type CallbackPolicy } from './callback-address.js';

/**
 * One try of a callback delivery: the finished submission POSTed as JSON (PUT where the API
 * it came through says so: Judge0's), signed so the
 * receiver can tell it came from this runbox (and for which tenant) and is fresh.
 *
 *   X-Runbox-Timestamp: <unix seconds>
 *   X-Runbox-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the secret>
 *   X-Runbox-Delivery:  <id: the same on every retry of this delivery, for de-duplication>
 *   X-Runbox-Attempt:   <1, 2, ...>
 *
 * The receiver recomputes the HMAC over the raw body, compares in constant time and
 * rejects old timestamps (replays). While a key's secret is being rotated the signature
 * header carries one signature per secret, comma-separated (the new one first): a receiver
 * accepts the body if any of them matches its secret. Redirects are not followed; any 2xx
 * is success.
 */

export const TIMESTAMP_HEADER = 'x-runbox-timestamp';
export const SIGNATURE_HEADER = 'x-runbox-signature';
export const SUBMISSION_HEADER = 'x-runbox-submission';
export const DELIVERY_HEADER = 'x-runbox-delivery';
export const ATTEMPT_HEADER = 'x-runbox-attempt';

/**
 * The secrets that sign a submission's callback, by its submitter (an API key's id, or null):
 * the key's own (two during a rotation), else the server's; none: callbacks are off for it.
 */
export type CallbackSecretLookup = (owner: string | null) => Promise<string[]>;

export function signCallback(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export type DeliveryResult = { ok: true; status: number } | { ok: false; permanent: boolean; error: string };

const RESPONSE_READ_LIMIT = 64 * 1024;

/** Which delivery this try belongs to, and which try it is. */
export interface DeliveryTry {
  submissionId: string;
  deliveryId: string;
  attempt: number;
}

export async function deliverCallback(
  target: string,
  delivery: DeliveryTry,
  body: string,
  secrets: readonly string[],
  policy: CallbackPolicy,
  { timeoutMs = 10_000, signal, method = 'POST' }: { timeoutMs?: number; signal?: AbortSignal; method?: 'POST' | 'PUT' } = {},
): Promise<DeliveryResult> {
  const problem = policy.urlProblem(target);
  if (problem) return { ok: false, permanent: true, error: `callbackUrl ${problem}` };
  const url = new URL(target);
  const trustedName = policy.allowsHost(url.hostname);
  const timestamp = Math.floor(Date.now() / 1000);
  const headers = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    'user-agent': 'runbox-callback',
    [TIMESTAMP_HEADER]: String(timestamp),
    [SIGNATURE_HEADER]: secrets.map((secret) => signCallback(secret, timestamp, body)).join(','),
    [SUBMISSION_HEADER]: delivery.submissionId,
    [DELIVERY_HEADER]: delivery.deliveryId,
    [ATTEMPT_HEADER]: String(delivery.attempt),
  };
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<DeliveryResult>((resolve) => {
    let settled = false;
    const finish = (result: DeliveryResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(result);
    };
    // the whole exchange, not only each pause in it: a receiver trickling bytes is cut off too
    const deadline = setTimeout(() => req.destroy(new Error(`no complete answer within ${timeoutMs} ms`)), timeoutMs);
    const req = client.request(url, {
      method,
      headers,
      // a fresh connection each time: a pooled socket would skip the checks below
      agent: false,
      timeout: timeoutMs,
      signal,
      ...(trustedName ? {} : { lookup: policy.lookup }),
    });
    // the address really connected to, whatever resolved it (IP literals skip the lookup)
    const checkPeer = (socket: Socket) => {
      if (trustedName) return;
      const refused = socket.remoteAddress ? policy.refusal(socket.remoteAddress) : 'the peer has no address';
      if (refused) req.destroy(new RefusedAddressError(`connected to ${refused}`));
    };
    req.on('socket', (socket) => {
      if (socket.remoteAddress) checkPeer(socket);
      else socket.once('connect', () => checkPeer(socket));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => {
      const refusal = findRefusal(err);
      finish(refusal ? { ok: false, permanent: true, error: `refused: ${refusal.message}` } : { ok: false, permanent: false, error: err.message });
    });
    req.on('response', (res) => {
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        // the answer is not used: a receiver that streams without end is cut off
        if (read > RESPONSE_READ_LIMIT) res.destroy();
      });
      res.on('error', () => undefined);
      res.on('close', () => {
        const status = res.statusCode ?? 0;
        finish(status >= 200 && status < 300 ? { ok: true, status } : { ok: false, permanent: false, error: `the receiver answered ${status}` });
      });
    });
    req.end(body);
  });
}

/** The refusal behind a request error, also when the socket wrapped it (happy eyeballs' AggregateError). */
function findRefusal(err: unknown): RefusedAddressError | null {
  if (err instanceof RefusedAddressError) return err;
  if (!err || typeof err !== 'object') return null;
  const { cause, errors } = err as { cause?: unknown; errors?: unknown[] };
  for (const inner of [cause, ...(Array.isArray(errors) ? errors : [])]) {
    const found = inner && inner !== err ? findRefusal(inner) : null;
    if (found) return found;
  }
  return null;
}
