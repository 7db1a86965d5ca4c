/**
 * runbox benchmark: hello world through the API next to the bare toolchain on the same
 * machine, in the same run, and Python throughput at several concurrencies.
 *
 *   node scripts/bench.ts [--runs 30] [--throughput 60] [--out docs/benchmarks.md]
 *
 * Starts its own server from backend/dist on a free loopback port (build first), or uses
 * RUNBOX_URL. Only ever talks to loopback. Bare commands are the language entries' own
 * command lines, run as root without any sandbox, so the difference is the sandbox's cost.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { LANGUAGES } from '../backend/dist/languages/registry.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '30' },
    throughput: { type: 'string', default: '60' },
    out: { type: 'string' },
  },
});
const RUNS = Number(values.runs);
const THROUGHPUT_RUNS = Number(values.throughput);
const MEMORY_MB = 256;
// the toolchains the sandbox finds (not, say, a pyenv shim earlier on root's PATH)
const BARE_ENV = { PATH: process.env.RUNBOX_SANDBOX_PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', HOME: os.tmpdir() };

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const ms = (x: number) => `${x.toFixed(1)}`;

async function startServer(): Promise<{ url: string; stop: () => Promise<void> }> {
  if (process.env.RUNBOX_URL) return { url: process.env.RUNBOX_URL, stop: async () => undefined };
  const child = spawn(process.execPath, ['backend/dist/main.js'], { env: { ...process.env, PORT: '0', LOG_LEVEL: 'info', RUNBOX_MAX_QUEUE: '256' }, stdio: ['ignore', 'pipe', 'inherit'] });
  let logs = '';
  child.stdout.on('data', (d) => (logs += d));
  for (let i = 0; i < 600 && !/"url":"/.test(logs); i++) await new Promise((r) => setTimeout(r, 50));
  const url = /"url":"(http:[^"]+)"/.exec(logs)?.[1];
  if (!url) throw new Error(`server did not start: ${logs}`);
  return {
    url,
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
    say(`Machine: ${machine()}; cgroup ${health.isolation.cgroup}. ${RUNS} sequential hello-world runs per language after 3 warm-ups.`);
    say();
    say('## Latency: hello world through the API vs the bare toolchain');
    say();
    say('| language | API p50 ms | API p95 ms | bare p50 ms | bare p95 ms | p50 overhead ms | p50 ratio |');
    say('|---|---:|---:|---:|---:|---:|---:|');
    for (const lang of LANGUAGES) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'runbox-bench-'));
      const file = lang.sourceFile(lang.template);
      writeFileSync(path.join(dir, file), lang.template);
      const api: number[] = [];
      const bare: number[] = [];
      try {
        for (let i = 0; i < 3; i++) {
          await execute(server.url, lang.id, lang.template);
          await bareRun(lang, dir, file);
        }
        for (let i = 0; i < RUNS; i++) {
          api.push(await execute(server.url, lang.id, lang.template));
          bare.push(await bareRun(lang, dir, file));
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      const [a50, b50] = [percentile(api, 50), percentile(bare, 50)];
      say(`| ${lang.id}${lang.compile ? ' (compile + run)' : ''} | ${ms(a50)} | ${ms(percentile(api, 95))} | ${ms(b50)} | ${ms(percentile(bare, 95))} | ${ms(a50 - b50)} | ${(a50 / b50).toFixed(2)}× |`);
    }
    say();
    say(`## Throughput: Python hello world, ${THROUGHPUT_RUNS} runs per level`);
    say();
    say('| concurrency | API runs/s | bare runs/s | API / bare |');
    say('|---:|---:|---:|---:|');
    const python = LANGUAGES.find((l) => l.id === 'python')!;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'runbox-bench-'));
    writeFileSync(path.join(dir, 'main.py'), python.template);
    try {
      for (const c of [1, 2, 4]) {
        const api = await pool(THROUGHPUT_RUNS, c, () => execute(server.url, 'python', python.template));
        const bare = await pool(THROUGHPUT_RUNS, c, () => runBare(dir, python.run({ file: 'main.py', code: python.template, memoryMb: MEMORY_MB })));
        say(`| ${c} | ${api.toFixed(1)} | ${bare.toFixed(1)} | ${((api / bare) * 100).toFixed(0)}% |`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
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
