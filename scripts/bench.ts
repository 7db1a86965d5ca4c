/**
 * runbox benchmark: hello world through the API next to the bare toolchain on the same
 * machine, in the same run; first vs repeat runs of compiled code; the CPU a run costs the
 * whole machine; Python throughput at several concurrencies; the server's memory over many
 * runs; the store (history writes on a run, snippet writes and reads) and the judge against
 * compiling and running the tests bare.
 *
 *   node scripts/bench.ts [--runs 20] [--cpu-runs 40] [--cpu-rounds 5] [--throughput 60]
 *                         [--memory-runs 300 | --long] [--judge-runs 5] [--writes 500]
 *                         [--sections latency,cpu,phases,throughput,memory,storage] [--title ...] [--out docs/benchmarks.md]
 *
 * --long: 10,000 runs in the memory section (about 13 minutes on 2 cores), the server's RSS at run
 * 1,000 and at run 10,000. The default run takes about 3 minutes.
 *
 * Starts its own server from backend/dist on a free loopback port (build first), or uses
 * RUNBOX_URL. Only ever talks to loopback. Bare commands are the language entries' own
 * command lines, run as root without any sandbox, so the difference is the sandbox's cost.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { API_NODE_FLAGS, API_PROCESS_ENV } from '../backend/dist/api-process.js';
import { loadConfig } from '../backend/dist/config.js';
import { seedProblems } from '../backend/dist/judge/seed-problems.js';
import { loadLanguages } from '../backend/dist/languages/load.js';
import { probeLanguages } from '../backend/dist/languages/toolchains.js';
import { backgroundMsPerSecond, cpuSpentOn, type CpuSpent } from './system-cpu.ts';
import { measurePhases, netPerItem } from './bench-phases.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    'cpu-runs': { type: 'string', default: '40' },
    'cpu-rounds': { type: 'string', default: '5' },
    throughput: { type: 'string', default: '60' },
    'memory-runs': { type: 'string' },
    long: { type: 'boolean', default: false },
    'judge-runs': { type: 'string', default: '5' },
    writes: { type: 'string', default: '500' },
    sections: { type: 'string', default: 'latency,cpu,phases,throughput,memory,storage' },
    title: { type: 'string' },
    out: { type: 'string' },
  },
});
const RUNS = Number(values.runs);
const CPU_RUNS = Number(values['cpu-runs']);
const CPU_ROUNDS = Number(values['cpu-rounds']);
const THROUGHPUT_RUNS = Number(values.throughput);
/** The settings the benchmark's server starts with (it inherits this environment). */
const SERVER_CONFIG = loadConfig(process.env);
const MEMORY_RUNS = Number(values['memory-runs'] ?? (values.long ? 10000 : 300));
const JUDGE_RUNS = Number(values['judge-runs']);
const WRITES = Number(values.writes);
const SECTIONS = new Set(values.sections.split(','));
const POOL = Number(process.env.RUNBOX_USER_POOL ?? 4);
const MEMORY_MB = 256;
// the toolchains the sandbox finds (not, say, a pyenv shim earlier on root's PATH)
const BARE_ENV = { PATH: process.env.RUNBOX_SANDBOX_PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', HOME: os.tmpdir() };
// the languages the server offers: the entries whose toolchain is installed
const LANGUAGES = (await probeLanguages(loadLanguages(), BARE_ENV.PATH)).all;

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const ms = (x: number) => `${x.toFixed(1)}`;

async function startServer(): Promise<{ url: string; pid?: number; logs: () => string; stop: () => Promise<void> }> {
  if (process.env.RUNBOX_URL) return { url: process.env.RUNBOX_URL, logs: () => '', stop: async () => undefined };
  // a database of its own, so the numbers do not depend on what an earlier server stored
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'runbox-bench-data-'));
  const child = spawn(process.execPath, [...API_NODE_FLAGS, 'backend/dist/main.js'], {
    // no anonymous quota: the benchmark is one client firing thousands of runs
    env: { ...process.env, ...API_PROCESS_ENV, PORT: '0', LOG_LEVEL: 'info', RUNBOX_MAX_QUEUE: '256', RUNBOX_ANON_RUNS_PER_MINUTE: '0', RUNBOX_ANON_CONCURRENT_RUNS: '0', RUNBOX_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let logs = '';
  child.stdout.on('data', (d) => (logs += d));
  for (let i = 0; i < 600 && !/"url":"/.test(logs); i++) await new Promise((r) => setTimeout(r, 50));
  const url = /"url":"(http:[^"]+)"/.exec(logs)?.[1];
  if (!url) throw new Error(`server did not start: ${logs}`);
  return {
    url,
    pid: child.pid,
    logs: () => logs,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function execute(url: string, language: string, code: string, headers: Record<string, string> = {}): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${url}/api/execute`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ language, code }) });
  const body = (await res.json()) as { status: string; stdout: string };
  if (res.status !== 200 || body.status !== 'ok') throw new Error(`${language}: ${res.status} ${JSON.stringify(body)}`);
  return performance.now() - started;
}

function runBare(dir: string, argv: string[], stdin = ''): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: dir, env: BARE_ENV, stdio: [stdin ? 'pipe' : 'ignore', 'ignore', 'inherit'] });
    if (stdin) {
      child.stdin!.on('error', () => undefined); // a program may exit without reading it all
      child.stdin!.end(stdin);
    }
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`${argv.join(' ')} exited ${code}`))));
  });
}

/** The bare equivalent of one API run: compile (if the language compiles) and run. */
async function bareRun(lang: (typeof LANGUAGES)[number], dir: string, file: string): Promise<number> {
  const ctx = { file, code: lang.template, sources: [file], memoryMb: MEMORY_MB };
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

/** The commit measured, so that a before and an after can be told apart; notes uncommitted changes. */
function commit(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return git('rev-parse', '--short', 'HEAD') + (git('status', '--porcelain', '--', 'backend', ':!backend/node_modules') ? ' with uncommitted changes in backend/' : '');
  } catch {
    return 'unknown commit';
  }
}

/**
 * Latency is measured on an idle server: the previous run's cleanup and pool refill done.
 * The pool tops itself up only once half of it is gone (user-pool.ts): more than half ready
 * is a pool at rest, not one still filling.
 */
async function waitIdle(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const h = (await (await fetch(`${url}/api/health`)).json()) as { runs: { active: number; queued: number; usersReady: number; cleanupsPending?: number } };
    if (h.runs.active === 0 && h.runs.queued === 0 && h.runs.usersReady * 2 > POOL && !h.runs.cleanupsPending) return;
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
  const startRssKb = serverRssKb(server.pid);
  const lines: string[] = [];
  const say = (s = '') => {
    lines.push(s);
    console.log(s);
  };
  try {
    const health = (await (await fetch(`${server.url}/api/health`)).json()) as { isolation: { cgroup: string; jail: string } };
    say(`# runbox benchmark${values.title ? `: ${values.title}` : ''}, ${new Date().toISOString().slice(0, 10)}`);
    say();
    say(`Machine: ${machine()}; cgroup ${health.isolation.cgroup}; jails: ${health.isolation.jail} (RUNBOX_JAIL); user pool ${SERVER_CONFIG.userPool} (RUNBOX_USER_POOL), spare cgroups ${SERVER_CONFIG.spareCgroups} (RUNBOX_SPARE_CGROUPS). Code: ${commit()}. Produced by \`node scripts/bench.ts ${process.argv.slice(2).map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}\`.`);
    say('Bare = the same command lines as the language entries, run directly as root (no user, namespaces, cgroup or HTTP).');
    say();
    if (SECTIONS.has('latency')) await latency(server.url, say);
    if (SECTIONS.has('cpu')) await cpu(server.url, say);
    if (SECTIONS.has('phases')) await phases(server.url, say);
    if (SECTIONS.has('throughput')) await throughput(server.url, say);
    if (SECTIONS.has('memory') && MEMORY_RUNS > 0 && server.pid) await memory(server.url, server.pid, startRssKb, say);
    if (SECTIONS.has('storage')) await storage(server.url, say);
  } catch (err) {
    // otherwise a server stopped or crashed mid-benchmark shows only as "fetch failed"
    console.error(`the server's last log lines:\n${server.logs().trim().split('\n').slice(-5).join('\n')}`);
    throw err;
  } finally {
    await server.stop();
  }
  if (values.out) writeFileSync(values.out, lines.join('\n') + '\n');
}

type Say = (s?: string) => void;

async function latency(url: string, say: Say): Promise<void> {
  const server = { url };
  say(`## Latency: hello world through the API vs bare (${RUNS} sequential runs after 3 warm-ups, each on an idle server)`);
  say();
  say('| run | API p50 ms | API p95 ms | bare p50 ms | bare p95 ms | p50 overhead ms | p50 ratio |');
  say('|---|---:|---:|---:|---:|---:|---:|');
  const repeatSpeedups: string[] = [];
  for (const lang of LANGUAGES) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'runbox-bench-'));
    const file = lang.sourceFile(lang.template);
    writeFileSync(path.join(dir, file), lang.template);
    const ctx = { file, code: lang.template, sources: [file], memoryMb: MEMORY_MB };
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
        // bare compiles the same never-built code: over an unchanged source and its output
        // `go build` does nothing at all (its build IDs match), which is no compile to compare with
        writeFileSync(path.join(dir, file), code);
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
}

async function throughput(url: string, say: Say): Promise<void> {
  const server = { url };
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
      await waitIdle(server.url); // the server's cleanup and refill must not slow the bare runs
      const bare = await pool(THROUGHPUT_RUNS, c, () => runBare(dir, python.run({ file: 'main.py', code: python.template, sources: ['main.py'], memoryMb: MEMORY_MB })));
      say(`| ${c} | ${api.toFixed(1)} | ${bare.toFixed(1)} | ${((api / bare) * 100).toFixed(0)}% |`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  say();
}

/**
 * What one run costs the whole machine: its busy CPU over a batch of runs (server, sandbox,
 * program, kernel, and this process's HTTP client), less what the machine was doing anyway,
 * divided by the runs; next to the bare program measured the same way. Repeated in rounds,
 * because other work on the machine leaks into every round differently.
 */
async function cpu(url: string, say: Say): Promise<void> {
  const python = LANGUAGES.find((l) => l.id === 'python')!;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runbox-bench-'));
  writeFileSync(path.join(dir, 'main.py'), python.template);
  const bareCommand = python.run({ file: 'main.py', code: python.template, sources: ['main.py'], memoryMb: MEMORY_MB });
  const rounds: CpuRound[] = [];
  try {
    for (let i = 0; i < 3; i++) await execute(url, 'python', python.template); // warm-up
    for (let round = 0; round < CPU_ROUNDS; round++) {
      await waitIdle(url);
      // sampled on both sides of each batch: other work on the machine comes and goes
      const before = await backgroundMsPerSecond(BACKGROUND_SAMPLE_MS);
      const throughApi = await cpuSpentOn(async () => {
        for (let i = 0; i < CPU_RUNS; i++) await execute(url, 'python', python.template);
        await waitIdle(url); // the last runs' cleanup and the pool's refill are part of their cost
      });
      const between = await backgroundMsPerSecond(BACKGROUND_SAMPLE_MS);
      const direct = await cpuSpentOn(async () => {
        for (let i = 0; i < CPU_RUNS; i++) await runBare(dir, bareCommand);
      });
      const after = await backgroundMsPerSecond(BACKGROUND_SAMPLE_MS);
      rounds.push({
        api: perRun(throughApi, (before + between) / 2),
        bare: perRun(direct, (between + after) / 2),
        backgrounds: [before, between, after],
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // a burst of other work during a batch is only guessed at by the samples around it: such
  // rounds are reported, but the headline figure comes from the rounds without one
  const quiet = rounds.filter((r) => Math.max(...r.backgrounds) < QUIET_MS_PER_SECOND);
  const median = (xs: number[]) => percentile(xs, 50);
  const cell = (of: CpuRound[], figure: (r: CpuRound) => number) => (of.length ? ms(median(of.map(figure))) : 'n/a');
  const line = (label: string, figure: (r: CpuRound) => PerRun) => {
    const all = rounds.map((r) => figure(r).net);
    say(`| ${label} | ${cell(quiet, (r) => figure(r).net)} | ${ms(median(all))} (${ms(Math.min(...all))} – ${ms(Math.max(...all))}) | ${cell(rounds, (r) => figure(r).self)} |`);
  };
  say(`## CPU per run, whole machine: Python hello world, ${CPU_RUNS} sequential runs, ${CPU_ROUNDS} rounds`);
  say();
  say('Busy time of all cores from /proc/stat (user + nice + system + irq + softirq + steal), so that processes no readable parent reaps and the kernel\'s own work count too. ' +
    `A round: ${CPU_RUNS} runs through the API until the server is idle again (cleanup and user pool refill included), ` +
    `then \`${bareCommand.join(' ')}\` spawned ${CPU_RUNS} times directly; the machine's background is sampled for ${BACKGROUND_SAMPLE_MS / 1000} s before, between and after, ` +
    'and the mean of the two samples around a batch, times its wall time, is taken off it. ' +
    `Quiet rounds: every background sample under ${QUIET_MS_PER_SECOND} ms/s; ${quiet.length} of ${rounds.length} here.`);
  say();
  say('| | CPU ms per run, median of quiet rounds | all rounds: median (min – max) | of it, this benchmark process |');
  say('|---|---:|---:|---:|');
  line('through the API', (r) => r.api);
  line('bare', (r) => r.bare);
  line('difference: sandbox and server', (r) => ({ net: r.api.net - r.bare.net, self: r.api.self - r.bare.self }));
  const backgrounds = rounds.flatMap((r) => r.backgrounds);
  say();
  say(`Background: ${ms(median(backgrounds))} ms of CPU per second (median of ${backgrounds.length} samples; ${ms(Math.min(...backgrounds))} – ${ms(Math.max(...backgrounds))}), of ${os.cpus().length * 1000} available.`);
  say();
}

interface CpuRound {
  api: PerRun;
  bare: PerRun;
  /** The machine's busy ms per second before, between and after the two batches. */
  backgrounds: number[];
}

interface PerRun {
  /** Machine busy ms per run, the background taken off. */
  net: number;
  /** The benchmark process's own ms per run (HTTP client, or spawning the bare program). */
  self: number;
}

const BACKGROUND_SAMPLE_MS = 1500;
/** Busy ms per second: above an idle machine with an idle server (10 to 30 when measured), far below anyone's test run. */
const QUIET_MS_PER_SECOND = 100;

const perRun = (spent: CpuSpent, backgroundMsPerSecond: number): PerRun => ({
  net: (spent.machineMs - (backgroundMsPerSecond * spent.wallMs) / 1000) / CPU_RUNS,
  self: spent.selfMs / CPU_RUNS,
});

async function phases(url: string, say: Say): Promise<void> {
  const python = LANGUAGES.find((l) => l.id === 'python')!;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runbox-bench-'));
  writeFileSync(path.join(dir, 'main.py'), python.template);
  const bareCommand = python.run({ file: 'main.py', code: python.template, sources: ['main.py'], memoryMb: MEMORY_MB });
  try {
    for (let i = 0; i < 3; i++) await execute(url, 'python', python.template);
    await waitIdle(url);
    const api = await netPerItem(CPU_RUNS, async () => {
      for (let i = 0; i < CPU_RUNS; i++) await execute(url, 'python', python.template);
      await waitIdle(url);
    });
    const bare = await netPerItem(CPU_RUNS, async () => {
      for (let i = 0; i < CPU_RUNS; i++) await runBare(dir, bareCommand);
    });
    const p = await measurePhases(CPU_RUNS);
    const rest = api - bare - p.userAdminMs - p.jailMs;
    say(`## Where a run's CPU goes: Python hello world, ${CPU_RUNS} of each, whole machine, background taken off`);
    say();
    say('Each phase measured on its own against the sandbox modules, with the server idle (scripts/bench-phases.ts); ' +
      'HTTP and bookkeeping is what is left of a run through the API. The benchmark process\'s own CPU is not counted.');
    say();
    say('| phase | CPU ms per run |');
    say('|---|---:|');
    say(`| the program itself (bare \`${bareCommand.join(' ')}\`) | ${ms(bare)} |`);
    say(`| user admin: create + delete, in the pool's batches (runbox-accounts) | ${ms(p.userAdminMs)} |`);
    say(`| jail (${p.jailKind}): cgroup, launch, namespaces, mounts, \`true\` in it, teardown, the server's side included (minus \`true\` spawned bare) | ${ms(p.jailMs)} |`);
    if (p.jailFreshCgroupsMs !== null) say(`| (the same jail with a fresh cgroup made and removed per phase, RUNBOX_SPARE_CGROUPS=0 instead of ${p.spareCgroups}; not in the sum) | ${ms(p.jailFreshCgroupsMs)} |`);
    say(`| HTTP, writing the files, bookkeeping, cleanup (the rest) | ${ms(rest)} |`);
    say(`| **through the API, all of it** | **${ms(api)}** |`);
    say(`| sandbox and server over bare | ${ms(api - bare)} |`);
    say();
    say(`Preparing a pooled jail (Jail.prepare until its launcher waits at the gate), wall time p50: ${ms(p.jailPrepareP50Ms)} ms.`);
    say();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function memory(url: string, pid: number, startRssKb: number | null, say: Say): Promise<void> {
  const python = LANGUAGES.find((l) => l.id === 'python')!;
  say(`## Server memory over ${MEMORY_RUNS} runs (Python hello world, concurrency 2)`);
  say();
  // --long: from run 1,000 on, past the allocator's and the JIT's warm-up
  const from = Math.min(values.long ? 1000 : 100, MEMORY_RUNS);
  const checkpoints = new Set([from, Math.round(MEMORY_RUNS / 2), MEMORY_RUNS]);
  const samples: [number, number | null][] = [];
  let done = 0;
  await pool(MEMORY_RUNS, 2, async () => {
    await execute(url, 'python', python.template);
    done++;
    if (checkpoints.has(done)) samples.push([done, serverRssKb(pid)]);
  });
  const mib = (kb: number | null) => (kb === null ? 'n/a' : (kb / 1024).toFixed(1));
  say('| when | server RSS MiB |');
  say('|---|---:|');
  say(`| server started, no run yet | ${mib(startRssKb)} |`);
  for (const [n, kb] of samples) say(`| after run ${n} of this section | ${mib(kb)} |`);
  const [first, last] = [samples[0], samples.at(-1)];
  if (first?.[1] && last?.[1]) say(`\nChange from run ${first[0]} to run ${last[0]}: ${(((last[1] - first[1]) / first[1]) * 100).toFixed(1)}%.`);
  say();
}

/** a-plus-b solutions; a unique comment makes every submission compile afresh */
const SOLUTIONS: Record<string, (n: number) => string> = {
  python: (n) => `# ${n}\na, b = map(int, input().split())\nprint(a + b)\n`,
  javascript: (n) => `// ${n}\nconst [a, b] = require('fs').readFileSync(0, 'utf8').trim().split(/\\s+/).map(BigInt);\nconsole.log(String(a + b));\n`,
  cpp: (n) => `// ${n}\n#include <iostream>\nint main() { long long a, b; std::cin >> a >> b; std::cout << a + b << "\\n"; }\n`,
  java: (n) => `// ${n}\nimport java.util.Scanner;\npublic class Main { public static void main(String[] x) { Scanner s = new Scanner(System.in); long a = s.nextLong(), b = s.nextLong(); System.out.println(a + b); } }\n`,
};

async function storage(url: string, say: Say): Promise<void> {
  const python = LANGUAGES.find((l) => l.id === 'python')!;
  say(`## Keeping a run in history (Python hello world, ${RUNS} sequential runs each)`);
  say();
  const plain: number[] = [];
  const kept: number[] = [];
  const visitor = { 'x-runbox-visitor': `bench-visitor-${process.pid}-0123456789abcdef` };
  for (let i = 0; i < RUNS + 3; i++) {
    await waitIdle(url);
    const a = await execute(url, 'python', python.template);
    await waitIdle(url);
    const b = await execute(url, 'python', python.template, visitor);
    if (i >= 3) plain.push(a), kept.push(b);
  }
  say('| run | p50 ms | p95 ms |');
  say('|---|---:|---:|');
  say(`| not kept | ${ms(percentile(plain, 50))} | ${ms(percentile(plain, 95))} |`);
  say(`| kept in history | ${ms(percentile(kept, 50))} | ${ms(percentile(kept, 95))} |`);
  say();

  say(`## Snippets: ${WRITES} writes, then ${WRITES} reads, 8 at a time`);
  say();
  const ids: string[] = [];
  const writesPerSecond = await pool(WRITES, 8, async () => {
    const res = await fetch(`${url}/api/snippets`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ language: 'python', code: python.template + '#'.repeat(1000) }) });
    if (res.status !== 201) throw new Error(`snippet write: ${res.status}`);
    ids.push(((await res.json()) as { id: string }).id);
  });
  let next = 0;
  const readsPerSecond = await pool(WRITES, 8, async () => {
    const res = await fetch(`${url}/api/snippets/${ids[next++ % ids.length]}`);
    if (res.status !== 200) throw new Error(`snippet read: ${res.status}`);
    await res.text();
  });
  say('| operation | per second |');
  say('|---|---:|');
  say(`| POST /api/snippets | ${writesPerSecond.toFixed(0)} |`);
  say(`| GET /api/snippets/:id | ${readsPerSecond.toFixed(0)} |`);
  say();

  const problem = seedProblems().find((p) => p.slug === 'a-plus-b')!;
  say(`## Judge: a-plus-b (${problem.tests.length} tests), ${JUDGE_RUNS} submissions per language, each new code (compiled)`);
  say();
  say('Bare = compile once, then run the program once per test with its input, directly as root.');
  say();
  say('| language | API p50 ms | bare p50 ms | ratio |');
  say('|---|---:|---:|---:|');
  // the core four: the other languages' judge runs are tested (tests/more-languages.test.ts), not timed
  for (const lang of LANGUAGES.filter((l) => SOLUTIONS[l.id])) {
    const api: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < JUDGE_RUNS + 1; i++) {
      const code = SOLUTIONS[lang.id]!(Date.now() + i);
      await waitIdle(url);
      const started = performance.now();
      const res = await fetch(`${url}/api/problems/a-plus-b/submissions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ language: lang.id, code }) });
      const verdict = (await res.json()) as { status: string };
      if (verdict.status !== 'accepted') throw new Error(`${lang.id} judge: ${JSON.stringify(verdict)}`);
      const a = performance.now() - started;
      await waitIdle(url);
      const b = await bareJudge(lang, code, problem.tests.map((t) => t.input));
      if (i >= 1) api.push(a), bare.push(b);
    }
    say(`| ${lang.id} | ${ms(percentile(api, 50))} | ${ms(percentile(bare, 50))} | ${(percentile(api, 50) / percentile(bare, 50)).toFixed(2)} |`);
  }
  say();
}

/** Compile once (if compiled), then one bare run per test input; the wall time of it all. */
async function bareJudge(lang: Lang, code: string, inputs: string[]): Promise<number> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runbox-bench-'));
  try {
    const file = lang.sourceFile(code);
    writeFileSync(path.join(dir, file), code);
    const ctx = { file, code, sources: [file], memoryMb: MEMORY_MB };
    const started = performance.now();
    if (lang.compile) await runBare(dir, lang.compile({ ...ctx, memoryMb: 1024 }));
    for (const input of inputs) await runBare(dir, lang.run(ctx), input);
    return performance.now() - started;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
