import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { consoleText, launchChromium, runAndWait, waitForEditor } from './helpers/browser.js';
import { ComposeProject, ensureEngine, waitFor, type EngineHandle } from './helpers/compose.js';
import { jsonClient, request } from './helpers/https.js';
import { findLeftovers, NOTHING_LEFT } from './helpers/leftovers.js';
import { LiveClient } from './helpers/live.js';
import { FULL_ISOLATION } from './helpers/runbox.js';
import { freePort } from './helpers/net.js';

/**
 * The path a self-hoster takes, for real: README's `docker compose up` (the repository's
 * compose file, its images built here, base images made locally where no registry answers),
 * then everything through nginx over HTTPS, trusting only the CA nginx generated. The API
 * container is not privileged: the capability list and the syscall profile are the files in
 * the repository, and the API refuses to start when an isolation layer is missing.
 */

const run = promisify(execFile);
const ADMIN_KEY = 'e2e-admin-key-0123456789abcdef';
const VISITOR = { 'x-runbox-visitor': 'container-e2e-visitor-key-0123456789' };
const MINUTE = 60_000;

let engine: EngineHandle;
let project: ComposeProject;
let base: string;
let ca: string;
let httpPort: number;

const api = jsonClient(() => base, () => ca);
const execute = (body: Record<string, unknown>, headers: Record<string, string> = {}) => api('/api/execute', { method: 'POST', body, headers });

async function waitHealthy(): Promise<void> {
  await waitFor('the API through nginx', async () => (await api('/api/health')).status === 200, 5 * MINUTE);
}

const apiContainer = async () => (await project.containers('api'))[0]!;

beforeAll(async () => {
  engine = await ensureEngine();
  const https = await freePort();
  httpPort = await freePort();
  project = new ComposeProject(
    'runboxe2e',
    {
      RUNBOX_HTTP_PORT: String(httpPort),
      RUNBOX_HTTPS_PORT: String(https),
      RUNBOX_ADMIN_KEY: ADMIN_KEY,
      // the tests send bursts from one address: nginx's and the API's per-address limits stay out of the way
      RUNBOX_RATE_LIMIT: '500r/s',
      RUNBOX_RATE_BURST: '500',
      RUNBOX_ANON_RUNS_PER_MINUTE: '0',
      RUNBOX_ANON_CONCURRENT_RUNS: '0',
    },
    ['playground'],
  );
  await project.destroy(); // what an interrupted earlier run left
  const started = Date.now();
  await project.compose(['build']);
  console.log(`container e2e: images built in ${Math.round((Date.now() - started) / 1000)} s`);
  await project.compose(['up', '-d']);
  base = `https://localhost:${https}`;
  ca = await project.generatedCa();
  await waitHealthy();
}, 60 * MINUTE);

afterAll(async () => {
  await project?.destroy().catch((err: Error) => console.error(err.message));
  await engine?.stop();
}, 5 * MINUTE);

describe('the API container', () => {
  test('runs unprivileged: the capability list and syscall profile of the compose file, nothing more', async () => {
    const [inspected] = JSON.parse((await run('docker', ['inspect', await apiContainer()])).stdout) as [{ HostConfig: Record<string, unknown> }];
    const host = inspected.HostConfig;
    expect(host.Privileged).toBe(false);
    expect(host.CapDrop).toEqual(['ALL']);
    expect([...(host.CapAdd as string[])].sort()).toEqual(['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'KILL', 'NET_ADMIN', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_ADMIN', 'SYS_CHROOT']);
    const seccomp = (host.SecurityOpt as string[]).find((o) => o.startsWith('seccomp'))!;
    // compose hands the engine the profile's contents: Docker's default plus pivot_root
    expect(seccomp).toContain('pivot_root');
    expect(host.SecurityOpt).toEqual(expect.arrayContaining(['no-new-privileges:true']));
    expect(host.Devices ?? []).toEqual([]);
  });

  test('/api/health reports every isolation layer, as on the host', async () => {
    const health = await api('/api/health');
    expect(health.status).toBe(200);
    const cgroup = existsSync('/sys/fs/cgroup/cgroup.controllers') ? 'v2' : 'v1';
    // the same layers as the host suite expects (tests/api.test.ts)
    expect(health.json.isolation).toEqual({ ...FULL_ISOLATION, cgroup });
  });

  test('hello world in every language the image offers (all eleven)', async () => {
    const languages = (await api('/api/languages')).json as { id: string; template: string }[];
    expect(languages.map((l) => l.id).sort()).toEqual(['bash', 'c', 'cpp', 'go', 'java', 'javascript', 'php', 'python', 'ruby', 'rust', 'typescript']);
    for (const language of languages) {
      const r = await execute({ language: language.id, code: language.template });
      expect({ language: language.id, status: r.json.status, stdout: r.json.stdout }).toEqual({ language: language.id, status: 'ok', stdout: expect.stringMatching(/hello/i) });
    }
  }, 10 * MINUTE);
});

describe('hostile programs are contained in the container too', () => {
  test('a fork bomb hits the process cap, and the server keeps answering', async () => {
    const bomb = execute({ language: 'python', code: 'import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass', limits: { timeMs: 3000 } });
    await new Promise((r) => setTimeout(r, 1000));
    expect((await api('/api/health')).status).toBe(200);
    const r = (await bomb).json;
    expect(r.processLimitHit || r.status === 'memory_limit').toBe(true);
  });

  test('a memory bomb ends as memory_limit', async () => {
    const r = (await execute({ language: 'python', code: 'x = bytearray(1 << 30)\nprint("allocated")' })).json;
    expect(r).toMatchObject({ status: 'memory_limit', stdout: '' });
  });

  test('no network: not the internet, not the other containers', async () => {
    const code = [
      'import socket',
      'for host, port in (("1.1.1.1", 53), ("nginx", 443), ("api", 3000)):',
      '    try:',
      '        socket.create_connection((host, port), timeout=2)',
      '        print(host, "connected")',
      '    except OSError as e:',
      '        print(host, type(e).__name__)',
    ].join('\n');
    const r = (await execute({ language: 'python', code })).json;
    expect(r.stdout).not.toContain('connected');
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(3);
  });

  test('no user namespace', async () => {
    const r = (await execute({ language: 'bash', code: 'unshare -Ur id && echo escaped || echo refused' })).json;
    expect(r.stdout).toContain('refused');
    expect(r.stdout).not.toContain('escaped');
  });

  test("no host files: not the container's accounts, the app, its data or its processes", async () => {
    const code = [
      'test -e /etc/shadow && echo shadow-visible',
      'ls -A /app 2>/dev/null | grep -q . && echo app-visible',
      'test -e /var/lib/runbox/data && ls -A /var/lib/runbox/data | grep -q . && echo data-visible',
      'ls /home | grep -v "^$(id -un)$" && echo other-homes',
      'grep -l -e tini -e main.js /proc/[0-9]*/cmdline 2>/dev/null && echo server-visible',
      'echo checked',
    ].join('\n');
    const r = (await execute({ language: 'bash', code })).json;
    expect(r.stdout).toBe('checked\n');
  });
});

describe('the front door', () => {
  test('a live run over wss://, answered as it asks', async () => {
    const client = await LiveClient.open(base, { ca });
    client.send({ type: 'start', language: 'python', code: 'name = input("name? ")\nprint("hello " + name[::-1])' });
    await client.waitForOutput('name?');
    client.send({ type: 'stdin', data: 'xobnur\n' });
    const exit = await client.exit();
    expect(exit.result).toMatchObject({ status: 'ok', exitCode: 0 });
    expect(client.text('stdout')).toContain('hello runbox');

    // on a terminal, in the container's jails as on the host: its own devpts, the prompt
    // before any input, the line discipline's echo
    const tty = await LiveClient.open(base, { ca });
    tty.send({ type: 'start', language: 'python', code: 'import os, sys\nprint(sys.stdin.isatty(), os.ttyname(0), os.listdir("/dev/pts"))\nname = input("name? ")\nprint("hello " + name)', terminal: { cols: 90, rows: 30 } });
    await tty.waitForOutput('name? ');
    tty.send({ type: 'stdin', data: 'tty\r' });
    const ttyExit = await tty.exit();
    expect(ttyExit.result).toMatchObject({ status: 'ok', exitCode: 0 });
    expect(tty.text('stdout')).toMatch(/^True \/dev\/pts\/0 \['(0|ptmx)', '(0|ptmx)'\]\r\nname\? tty\r\nhello tty\r\n$/);
  });

  test('plain HTTP redirects to the HTTPS port compose publishes', async () => {
    const reply = await request(`http://localhost:${httpPort}/api/health?x=1`);
    expect(reply.status).toBe(301);
    expect(reply.headers.location).toBe(`${base}/api/health?x=1`);
  });

  test('the playground page works in Chromium through nginx', async () => {
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      const page = await context.newPage();
      const hosts = new Set<string>();
      // (data: and blob: URLs, Monaco's workers, go nowhere)
      page.on('request', (r) => /^(https?|wss?):/.test(r.url()) && hosts.add(new URL(r.url()).host));
      await page.goto(base + '/');
      await waitForEditor(page);
      await page.selectOption('select[aria-label="Language"]', 'python');
      await page.evaluate((c) => window.runbox!.setCode(c), 'print(6 * 7)');
      await runAndWait(page);
      expect(await page.locator('[data-testid="status-badge"]').innerText()).toBe('Success');
      expect((await consoleText(page)).trim()).toBe('42');
      // everything the page needed came from this one origin
      expect([...hosts]).toEqual([new URL(base).host]);
    } finally {
      await browser?.close();
    }
  });
});

describe('operations', () => {
  test('snippets and history survive `restart api` and `down` + `up` (the volume)', async () => {
    const snippet = await api('/api/snippets', { method: 'POST', body: { language: 'python', code: 'print("kept")' } });
    expect(snippet.status).toBe(201);
    const ran = await execute({ language: 'python', code: 'print("in history")' }, VISITOR);
    expect(ran.json.submissionId).toEqual(expect.any(String));
    const stillThere = async () => {
      expect((await api(`/api/snippets/${snippet.json.id}`)).json).toMatchObject({ code: 'print("kept")' });
      expect((await api('/api/history', { headers: VISITOR })).json.entries.map((e: { id: string }) => e.id)).toContain(ran.json.submissionId);
    };
    await project.compose(['restart', 'api']);
    await waitHealthy();
    await stillThere();
    await project.compose(['down']);
    await project.compose(['up', '-d']);
    await waitHealthy();
    await stillThere();
  }, 10 * MINUTE);

  test('SIGTERM lets a running run finish within stop_grace_period, then the API exits 0', async () => {
    const container = await apiContainer();
    const running = execute({ language: 'python', code: 'import time\ntime.sleep(3)\nprint("finished")' });
    await new Promise((r) => setTimeout(r, 1000));
    const stopping = Date.now();
    const stopped = project.compose(['stop', 'api']); // SIGTERM, then compose waits stop_grace_period (40 s)
    const r = await running;
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ status: 'ok', stdout: 'finished\n' });
    await stopped;
    const [{ State }] = JSON.parse((await run('docker', ['inspect', container])).stdout) as [{ State: { ExitCode: number } }];
    expect(State.ExitCode).toBe(0);
    expect(Date.now() - stopping).toBeLessThan(40_000);
    await project.compose(['up', '-d']);
    await waitHealthy();
  }, 5 * MINUTE);
});

describe('a missing isolation layer stops the API from starting', () => {
  interface Without {
    /** Docker's default syscall profile instead of docker/seccomp.json */
    defaultSeccomp?: boolean;
    capability?: string;
    /** the server started straight under tini: the cgroups stay read-only */
    skipEntrypoint?: boolean;
  }

  /** The API image with the compose file's own settings but one, run until it exits. */
  async function startWithout(without: Without): Promise<{ code: number; log: string }> {
    const [inspected] = JSON.parse((await run('docker', ['inspect', await apiContainer()])).stdout) as [
      { HostConfig: { CapAdd: string[]; SecurityOpt: string[] }; Config: { Image: string; Cmd: string[] } },
    ];
    const args = [
      '--cap-drop', 'ALL',
      ...inspected.HostConfig.CapAdd.filter((c) => c !== without.capability).flatMap((c) => ['--cap-add', c]),
      ...inspected.HostConfig.SecurityOpt.filter((o) => !o.startsWith('seccomp')).flatMap((o) => ['--security-opt', o]),
      ...(without.defaultSeccomp ? [] : ['--security-opt', `seccomp=${process.cwd()}/docker/seccomp.json`]),
      '-e', 'RUNBOX_REQUIRED_LAYERS=seccomp,userNamespacesBlocked,allowlistRoot,cgroup,networkNamespace',
      ...(without.skipEntrypoint ? ['--entrypoint', '/usr/bin/tini', inspected.Config.Image, '--', ...inspected.Config.Cmd] : [inspected.Config.Image]),
    ];
    return run('docker', ['run', '--rm', ...args], { timeout: 3 * MINUTE }).then(
      (ok) => ({ code: 0, log: ok.stdout + ok.stderr }),
      (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, log: err.stdout + err.stderr }),
    );
  }

  test("Docker's default syscall profile (no pivot_root): refused, naming the jail", async () => {
    const r = await startWithout({ defaultSeccomp: true });
    expect(r.code).not.toBe(0);
    expect(r.log).toMatch(/runbox failed to start.*pivot_root/);
  }, 5 * MINUTE);

  test('cgroups left read-only (the entrypoint skipped): refused, naming the layer', async () => {
    const r = await startWithout({ skipEntrypoint: true });
    expect(r.code).not.toBe(0);
    expect(r.log).toMatch(/required isolation missing: cgroup/);
  }, 5 * MINUTE);

  test.each(['SYS_ADMIN', 'SETUID', 'NET_ADMIN', 'KILL'])('without CAP_%s: refused', async (capability) => {
    const r = await startWithout({ capability });
    expect(r.code).not.toBe(0);
    expect(r.log).toMatch(/runbox failed to start/);
  }, 5 * MINUTE);
});

describe('teardown', () => {
  test('`down -v` leaves no container, volume or network, and the host no run user, process or mount', async () => {
    await project.destroy();
    expect(await project.remains()).toEqual([]);
    // (a process of any uid the host has no account for counts: every container's run users)
    expect(await findLeftovers()).toEqual(NOTHING_LEFT);
  }, 5 * MINUTE);
});
