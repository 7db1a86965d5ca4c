/**
 * runbox benchmark: hello world through the API next to the bare toolchain on the same
 * machine, in the same run; first vs repeat runs of compiled code; Python throughput at
 * several concurrencies; the server's memory over many runs.
 *
 *   node scripts/bench.ts [--runs 30] [--throughput 60] [--memory-runs 1000] [--out docs/benchmarks.md]
 *
 * Starts its own server from backend/dist on a free loopback port (build first), or uses
 * RUNBOX_URL. Only ever talks to loopback. Bare commands are the language entries' own
 * command lines, run as root without any sandbox, so the difference is the sandbox's cost.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { LANGUAGES } from '../backend/dist/languages/registry.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '30' },
    throughput: { type: 'string', default: '60' },
    'memory-runs': { type: 'string', default: '1000' },
    out: { type: 'string' },
  },
});
const RUNS = Number(values.runs);
const THROUGHPUT_RUNS = Number(values.throughput);
const MEMORY_RUNS = Number(values['memory-runs']);
const POOL = Number(process.env.RUNBOX_USER_POOL ?? 4);
const MEMORY_MB = 256;
// the toolchains the sandbox finds (not, say, a pyenv shim earlier on root's PATH)
const BARE_ENV = { PATH: process.env.RUNBOX_SANDBOX_PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', HOME: os.tmpdir() };

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const ms = (x: number) => `${x.toFixed(1)}`;

async function startServer(): Promise<{ url: string; pid?: number; stop: () => Promise<void> }> {
  if (process.env.RUNBOX_URL) return { url: process.env.RUNBOX_URL, stop: async () => undefined };
  const child = spawn(process.execPath, ['backend/dist/main.js'], { env: { ...process.env, PORT: '0', LOG_LEVEL: 'info', RUNBOX_MAX_QUEUE: '256' }, stdio: ['ignore', 'pipe', 'inherit'] });
  let logs = '';
  child.stdout.on('data', (d) => (logs += d));
  for (let i = 0; i < 600 && !/"url":"/.test(logs); i++) await new Promise((r) => setTimeout(r, 50));
  const url = /"url":"(http:[^"]+)"/.exec(logs)?.[1];
  if (!url) throw new Error(`server did not start: ${logs}`);
  return {
    url,
    pid: child.pid,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function execute(url: string, language: string, code: string): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${url}/api/execute`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ language, code }) });
  const body = (await res.json()) as { status: string; stdout: string };
  if (res.status !== 200 || body.status !== 'ok') throw new Error(`${language}: ${res.status} ${JSON.stringify(body)}`);
  return performance.now() - started;
}

function runBare(dir: string, argv: string[]): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: dir, env: BARE_ENV, stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`${argv.join(' ')} exited ${code}`))));
  });
}

/** The bare equivalent of one API run: compile (if the language compiles) and run. */
async function bareRun(lang: (typeof LANGUAGES)[number], dir: string, file: string): Promise<number> {
  const ctx = { file, code: lang.template, memoryMb: MEMORY_MB };
  let total = 0;
  if (lang.compile) total += await runBare(dir, lang.compile({ ...ctx, memoryMb: 1024 }));
  return total + (await runBare(dir, lang.run(ctx)));
}

async function pool<T>(count: number, concurrency: number, task: () => Promise<T>): Promise<number> {
  let started = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (started < count) {
        started++;
        await task();
      }
    }),
  );
  return count / ((performance.now() - t0) / 1000);
}

function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${os.release()}, Node ${process.versions.node}`;
}

/** Latency is measured on an idle server: the previous run's cleanup and pool refill done. */
async function waitIdle(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const h = (await (await fetch(`${url}/api/health`)).json()) as { runs: { active: number; queued: number; usersReady: number } };
    if (h.runs.active === 0 && h.runs.queued === 0 && h.runs.usersReady >= POOL) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

function serverRssKb(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  } catch {
    return null;
  }
}

type Lang = (typeof LANGUAGES)[number];
/** A variant of the template that no earlier run compiled: defeats the compile cache. */
const uncached = (lang: Lang, n: number) => `${lang.template}\n// ${process.pid}-${n}-${Math.random()}\n`;

function row(label: string, api: number[], bare: number[]): string {
  const [a50, b50] = [percentile(api, 50), percentile(bare, 50)];
  return `| ${label} | ${ms(a50)} | ${ms(percentile(api, 95))} | ${ms(b50)} | ${ms(percentile(bare, 95))} | ${ms(a50 - b50)} | ${(a50 / b50).toFixed(2)}× |`;
}

async function main(): Promise<void> {
  const server = await startServer();
  const lines: string[] = [];
  const say = (s = '') => {
    lines.push(s);
    console.log(s);
  };
  try {
    const health = (await (await fetch(`${server.url}/api/health`)).json()) as { isolation: { cgroup: string } };
    say(`# runbox benchmark, ${new Date().toISOString().slice(0, 10)}`);
    say();
    say(`Machine: ${machine()}; cgroup ${health.isolation.cgroup}. Produced by \`node scripts/bench.ts --runs ${RUNS} --throughput ${THROUGHPUT_RUNS} --memory-runs ${MEMORY_RUNS}\`.`);
    say('Bare = the same command lines as the language entries, run directly as root (no user, namespaces, cgroup or HTTP).');
    say();
    say(`## Latency: hello world through the API vs bare (${RUNS} sequential runs after 3 warm-ups, each on an idle server)`);
    say();
    say('| run | API p50 ms | API p95 ms | bare p50 ms | bare p95 ms | p50 overhead ms | p50 ratio |');
    say('|---|---:|---:|---:|---:|---:|---:|');
    const repeatSpeedups: string[] = [];
    for (const lang of LANGUAGES) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'runbox-bench-'));
      const file = lang.sourceFile(lang.template);
      writeFileSync(path.join(dir, file), lang.template);
      const ctx = { file, code: lang.template, memoryMb: MEMORY_MB };
      const runOnly = () => runBare(dir, lang.run(ctx));
      const compileAndRun = async () => (await runBare(dir, lang.compile!({ ...ctx, memoryMb: 1024 }))) + (await runOnly());
      try {
        if (!lang.compile) {
          const api: number[] = [];
          const bare: number[] = [];
          for (let i = 0; i < RUNS + 3; i++) {
            await waitIdle(server.url);
            const a = await execute(server.url, lang.id, lang.template);
            await waitIdle(server.url); // the server's cleanup must not slow the bare run either
            const b = await runOnly();
            if (i >= 3) api.push(a), bare.push(b);
          }
          say(row(lang.id, api, bare));
          continue;
        }
        const first: number[] = [];
        const repeat: number[] = [];
        const bareFirst: number[] = [];
        const bareRepeat: number[] = [];
        for (let i = 0; i < RUNS + 3; i++) {
          const code = uncached(lang, i);
          await waitIdle(server.url);
          const f = await execute(server.url, lang.id, code);
          await waitIdle(server.url);
          const r = await execute(server.url, lang.id, code);
          await waitIdle(server.url);
          const bf = await compileAndRun();
          const br = await runOnly();
          if (i >= 3) first.push(f), repeat.push(r), bareFirst.push(bf), bareRepeat.push(br);
        }
        say(row(`${lang.id} first run (compile + run)`, first, bareFirst));
        say(row(`${lang.id} repeat run (cached build; bare: run only)`, repeat, bareRepeat));
        repeatSpeedups.push(`| ${lang.id} | ${ms(percentile(first, 50))} | ${ms(percentile(repeat, 50))} | ${(percentile(first, 50) / percentile(repeat, 50)).toFixed(1)}× |`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    say();
    say('## Repeat runs of unchanged code (compile cache)');
    say();
    say('| language | first run p50 ms | repeat run p50 ms | speedup |');
    say('|---|---:|---:|---:|');
    for (const line of repeatSpeedups) say(line);
    say();
    say(`## Throughput: Python hello world, ${THROUGHPUT_RUNS} runs per level`);
    say();
    say('| concurrency | API runs/s | bare runs/s | API / bare |');
    say('|---:|---:|---:|---:|');
    const python = LANGUAGES.find((l) => l.id === 'python')!;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'runbox-bench-'));
    writeFileSync(path.join(dir, 'main.py'), python.template);
    try {
      for (const c of [1, 2, 4, 8]) {
        await waitIdle(server.url);
        const api = await pool(THROUGHPUT_RUNS, c, () => execute(server.url, 'python', python.template));
        const bare = await pool(THROUGHPUT_RUNS, c, () => runBare(dir, python.run({ file: 'main.py', code: python.template, memoryMb: MEMORY_MB })));
        say(`| ${c} | ${api.toFixed(1)} | ${bare.toFixed(1)} | ${((api / bare) * 100).toFixed(0)}% |`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    if (MEMORY_RUNS > 0 && server.pid) {
      say();
      say(`## Server memory over ${MEMORY_RUNS} runs (Python hello world, concurrency 2)`);
      say();
      const samples: [number, number | null][] = [];
      let done = 0;
      const checkpoints = new Set([100, Math.round(MEMORY_RUNS / 2), MEMORY_RUNS]);
      await pool(MEMORY_RUNS, 2, async () => {
        await execute(server.url, 'python', python.template);
        done++;
        if (checkpoints.has(done)) samples.push([done, serverRssKb(server.pid)]);
      });
      say('| after run | server RSS MiB |');
      say('|---:|---:|');
      for (const [n, kb] of samples) say(`| ${n} | ${kb === null ? 'n/a' : (kb / 1024).toFixed(1)} |`);
      const [first, last] = [samples[0]?.[1], samples.at(-1)?.[1]];
      if (first && last) say(`\nChange from run 100 to run ${MEMORY_RUNS}: ${(((last - first) / first) * 100).toFixed(1)}%.`);
    }
  } finally {
    await server.stop();
  }
  if (values.out) writeFileSync(values.out, lines.join('\n') + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
