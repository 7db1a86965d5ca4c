import { afterAll, beforeAll, expect } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../backend/src/config.js';
import { createLogger } from '../../backend/src/log.js';
import type { ExecuteResponse } from '../../backend/src/protocol.js';
import { startRunbox, type Runbox } from '../../backend/src/server.js';
import { UNLIMITED_ANONYMOUS } from './anonymous.js';
import { findLeftovers, NOTHING_LEFT } from './leftovers.js';

/** Every isolation layer /api/health reports with a cgroup, on a host and in the container alike (`cgroup` apart: v1 or v2). */
export const FULL_ISOLATION = {
  runUserPerRun: true,
  // the suite runs under either launcher (scripts/test.sh reruns the jail's tests on bubblewrap)
  jail: process.env.RUNBOX_JAIL === 'bubblewrap' ? 'bubblewrap' : 'template',
  rootfs: 'allowlist',
  seccomp: true,
  userNamespaces: 'blocked',
  capabilities: 'none',
  memoryLimit: true,
  pidsLimit: true,
  cpuAccounting: true,
  pidNamespace: true,
  mountNamespace: true,
  networkNamespace: true,
  privateTmp: true,
  rlimits: true,
} as const;

export interface TestRunbox extends Runbox {
  config: Config;
  /** POST /api/execute, expecting 200. */
  execute(body: Record<string, unknown>): Promise<ExecuteResponse>;
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<HttpReply>;
}

export interface HttpReply {
  status: number;
  headers: Headers;
  json: any;
  text: string;
}

/**
 * A real runbox server in this process, on a free loopback port, with a database of its
 * own (SQLite in a temporary directory, removed at shutdown) unless `env` names one.
 */
export async function startTestRunbox(env: Record<string, string> = {}): Promise<TestRunbox> {
  const ownData = env.RUNBOX_DATA_DIR ? null : await mkdtemp(path.join(os.tmpdir(), 'runbox-test-data-'));
  const config = loadConfig({
    ...process.env,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...UNLIMITED_ANONYMOUS,
    ...(ownData ? { RUNBOX_DATA_DIR: ownData } : {}),
    ...env,
  });
  const started = await startRunbox(config, createLogger(config.logLevel)).catch(async (err) => {
    if (ownData) await rm(ownData, { recursive: true, force: true });
    throw err;
  });
  const runbox: Runbox = {
    ...started,
    async shutdown(graceMs) {
      await started.shutdown(graceMs);
      if (ownData) await rm(ownData, { recursive: true, force: true });
    },
  };
  const request = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    httpRequest(runbox.url + path, method, body, headers);
  return {
    ...runbox,
    config,
    request,
    async execute(body) {
      const reply = await request('POST', '/api/execute', body);
      if (reply.status !== 200) throw new Error(`execute answered ${reply.status}: ${reply.text}`);
      return reply.json as ExecuteResponse;
    },
  };
}

/**
 * A tag under the suite's own RUNBOX_INSTANCE, for a file that runs two servers at once:
 * tags that begin alike sweep each other's users and so exclude each other, which is why
 * neither server may use the suite's tag itself.
 */
export function subInstance(digit: number): string {
  const base = process.env.RUNBOX_INSTANCE ?? '';
  if (base.length >= 4) throw new Error(`RUNBOX_INSTANCE=${base} leaves no digit for a second server's tag: use at most 3`);
  return base + digit.toString(16);
}

export async function httpRequest(url: string, method: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpReply> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const res = await fetch(url, init);
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON: tests assert on that themselves
  }
  return { status: res.status, headers: res.headers, json, text };
}

/**
 * One server for the whole test file: started before its tests, shut down after them, and
 * then not one run artifact may be left. Returns a getter (the server exists only later).
 */
export function useRunbox(env: Record<string, string> = {}): () => TestRunbox {
  let box: TestRunbox | undefined;
  beforeAll(async () => {
    box = await startTestRunbox(env);
  });
  afterAll(async () => {
    await box?.shutdown();
    expect(await findLeftovers()).toEqual(NOTHING_LEFT);
  });
  return () => box!;
}
