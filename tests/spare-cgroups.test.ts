import { describe, expect, test } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { useRunbox, type TestRunbox } from './helpers/runbox.js';

/**
 * Spare cgroups (RUNBOX_SPARE_CGROUPS): an ended phase's cgroup is reset and handed to the
 * next phase. Without a user pool every run builds its jail when it starts, so it takes the
 * cgroup the run before it gave back (the spares are a stack): what one run did must not
 * show in the next one's limits, counters or memory.
 */
const box = useRunbox({ RUNBOX_USER_POOL: '0', RUNBOX_SPARE_CGROUPS: '4' });

const tag = process.env.RUNBOX_INSTANCE ?? '';
const MiB = 1024 * 1024;

/** Where this server's run cgroups are: the pids hierarchy (v1), or the runs' parent under the server's own cgroup (v2). */
function runCgroupRoot(): { dir: string; memoryFile: string } {
  if (existsSync('/sys/fs/cgroup/pids/runbox')) return { dir: '/sys/fs/cgroup/pids/runbox', memoryFile: 'memory.usage_in_bytes' };
  const own = /^0::(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1] ?? '/';
  // the server moved itself into runbox-server beside the runs' parent
  return { dir: path.join('/sys/fs/cgroup', path.dirname(own), 'runbox'), memoryFile: 'memory.current' };
}

function runCgroups(): string[] {
  const { dir } = runCgroupRoot();
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name.startsWith(`exec_${tag}`))
    .map((e) => e.name)
    .sort();
}

/** What each run cgroup holds in memory (bytes), v1's memory hierarchy or v2's own file. */
function heldBytes(name: string): number {
  const { memoryFile } = runCgroupRoot();
  const dir = memoryFile === 'memory.usage_in_bytes' ? path.join('/sys/fs/cgroup/memory/runbox', name) : path.join(runCgroupRoot().dir, name);
  return Number(readFileSync(path.join(dir, memoryFile), 'utf8'));
}

/** v2 resets memory.peak only from 6.12 on; before, every phase gets a fresh cgroup. */
function kernelRecycles(): boolean {
  if (existsSync('/sys/fs/cgroup/pids/runbox')) return true;
  const [major = 0, minor = 0] = os.release().split('.').map(Number);
  return major > 6 || (major === 6 && minor >= 12);
}

async function settled(b: TestRunbox): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const { runs } = (await b.request('GET', '/api/health')).json;
    if (runs.active === 0 && runs.cleanupsPending === 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('cleanup did not finish');
}

async function run(body: Record<string, unknown>) {
  const r = await box().execute(body);
  await settled(box());
  return r;
}

describe('spare cgroups', () => {
  test('a recycled cgroup starts with its limits lifted and its counters its own', async () => {
    const first = await run({ language: 'python', code: 'print(1)' });
    expect(first.status).toBe('ok');
    const kept = runCgroups();
    if (kernelRecycles()) expect(kept.length).toBe(1);

    // a fork bomb meets the process limit; the next run in the same cgroup does not
    const bomb = await run({ language: 'python', code: 'import os\nwhile True:\n    os.fork()', limits: { processes: 10 } });
    expect(bomb.processLimitHit).toBe(true);
    const calm = await run({ language: 'python', code: 'print(2)' });
    expect(calm).toMatchObject({ status: 'ok', processLimitHit: false });

    // an OOM kill under a 64 MiB limit; then 150 MiB fits the default 256 MiB limit, and its
    // peak is its own, and the run after it does not inherit that peak
    const oom = await run({ language: 'python', code: 'x = bytearray(100 * 1024 * 1024)', limits: { memoryMb: 64 } });
    expect(oom.status).toBe('memory_limit');
    const big = await run({ language: 'python', code: 'x = bytearray(150 * 1024 * 1024)\nx[::4096] = b"1" * len(x[::4096])\nprint(len(x))' });
    expect(big.status).toBe('ok');
    expect(big.memoryKb).toBeGreaterThan(150 * 1024);
    expect(big.memoryKb).toBeLessThan(200 * 1024);
    const small = await run({ language: 'python', code: 'print(3)' });
    expect(small.status).toBe('ok');
    expect(small.memoryKb).toBeGreaterThan(0);
    expect(small.memoryKb).toBeLessThan(30 * 1024);

    // half a second of CPU, then a run whose CPU time is its own
    const busy = await run({ language: 'python', code: 'import time\nt = time.process_time()\nwhile time.process_time() - t < 0.5: pass' });
    expect(busy.cpuTimeMs).toBeGreaterThanOrEqual(450);
    const idle = await run({ language: 'python', code: 'print(4)' });
    expect(idle.cpuTimeMs).toBeLessThan(300);

    // all of it in the one cgroup the first run made
    if (kernelRecycles()) expect(runCgroups()).toEqual(kept);
  });

  test('a phase that leaves memory charged to its cgroup is removed, not recycled', async () => {
    await run({ language: 'python', code: 'print(1)' });
    const before = runCgroups();
    // the file in the home stays charged to the cgroup until the home is unmounted
    const filler = await run({ language: 'python', code: 'open("fill.bin", "wb").write(b"x" * (8 * 1024 * 1024))\nprint("filled")' });
    expect(filler.stdout).toBe('filled\n');
    const after = runCgroups();
    if (kernelRecycles()) expect(after.length).toBe(before.length - 1);
    // every spare is nearly empty
    for (const name of after) expect(heldBytes(name)).toBeLessThanOrEqual(2 * MiB);
    const next = await run({ language: 'python', code: 'print(5)' });
    expect(next.status).toBe('ok');
  });
});
