import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Per-phase cgroups: the memory limit (the only memory limit the JVM and Node survive),
 * a pids cap, and the CPU/memory accounting a run reports. cgroup v2 is what Docker
 * hosts run today; v1 is what some hosts (this CI machine) still have.
 */

export type CgroupVersion = 'v1' | 'v2';

export interface CgroupLimits {
  memoryBytes: number;
  pids: number;
}

export interface CgroupUsage {
  cpuMs: number | null;
  peakMemoryKb: number | null;
  oomKilled: boolean;
  /** A fork or thread creation was refused because pids.max was reached. */
  processLimitHit: boolean;
}

export interface PhaseCgroup {
  /** Files a process writes "0" to, to move itself in (one per v1 hierarchy). */
  readonly procsFiles: string[];
  /** Sets the limits of a fresh cgroup, once. */
  setLimits(limits: CgroupLimits): Promise<void>;
  usage(): Promise<CgroupUsage>;
  /** CPU used so far by everything inside (ms), read now; null when unreadable. */
  cpuMsNow(): number | null;
  /** Kills everything inside and resolves once nothing is left (a run killed at a limit). */
  killAll(): Promise<void>;
  /** Whether no process is inside (one read of cgroup.procs; an unreadable one is not empty). */
  isEmpty(): boolean;
  /** Kills everything inside and removes the cgroup. */
  destroy(): Promise<void>;
}

export interface CgroupDriver {
  readonly version: CgroupVersion;
  create(name: string): Promise<PhaseCgroup>;
  /** Removes cgroups left by a crashed server: those whose names start with `prefix`. */
  sweep(prefix: string): Promise<number>;
}

const readText = (p: string) => readFile(p, 'utf8').catch(() => null);

/**
 * cgroupfs is used synchronously: a promise per call costs more than the call. Making and
 * removing a run's three v1 cgroups took 0.25–0.29 ms of CPU through the thread pool and
 * 0.07 ms directly (300 empty ones). Removing one that held a run can block for a fraction of
 * a millisecond; measured under load it still came out ahead on the event loop (Python hello
 * worlds at concurrency 2: 83–88 runs/s and 2.6 ms of server CPU a run, against 80–83 and
 * 3.0 through the pool). Only the retries of a removal (processes still dying) wait
 * asynchronously.
 */
function readNow(p: string): string | null {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return null;
  }
}
const PARENT = 'runbox';

/** v1's cpuacct.usage (ns) and v2's cpu.stat usage_usec, in ms. */
const nanosToMs = (text: string | null) => (text === null ? null : Math.round(Number(text) / 1e6));
function usecToMs(cpuStat: string | null): number | null {
  const usec = /usage_usec (\d+)/.exec(cpuStat ?? '')?.[1];
  return usec === undefined ? null : Math.round(Number(usec) / 1000);
}

/**
 * pids.events (v1 and v2 alike) counts in "max N" the forks and clones refused at pids.max.
 * A missing file (kernels before 4.12 in v1) reads as none refused.
 */
export function forksRefused(pidsEvents: string | null): number {
  return Number(/^max (\d+)$/m.exec(pidsEvents ?? '')?.[1] ?? 0);
}

function killProcsIn(dir: string): void {
  const procs = readNow(path.join(dir, 'cgroup.procs'));
  for (const pid of procs?.split('\n').filter(Boolean) ?? []) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

/** Kills what is in the cgroups until none is left, or throws after about two seconds. */
async function killUntilEmpty(dirs: readonly string[]): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const left = dirs.map((dir) => (readNow(path.join(dir, 'cgroup.procs')) ?? '').split('\n').filter(Boolean));
    if (left.every((pids) => pids.length === 0)) return;
    dirs.forEach(killProcsIn);
    await sleep(attempt < 5 ? 1 : 20); // most jails are gone within a millisecond of the kill
  }
  throw new Error(`processes survive in ${dirs.join(', ')}`);
}

/** rmdir fails with EBUSY while dying processes are still being torn down: retry briefly. */
async function removeDir(dir: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      rmdirSync(dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (attempt >= 50) throw err;
      killProcsIn(dir);
      await sleep(attempt < 5 ? 2 : 20);
    }
  }
}

async function sweepChildren(parent: string, prefix: string): Promise<number> {
  const names = await readdir(parent, { withFileTypes: true }).catch(() => []);
  let removed = 0;
  for (const entry of names) {
    if (!entry.isDirectory() || !entry.name.startsWith(prefix)) continue;
    const dir = path.join(parent, entry.name);
    killProcsIn(dir);
    await removeDir(dir);
    removed++;
  }
  return removed;
}

interface Mount {
  point: string;
  fsType: string;
  superOptions: string[];
}

async function cgroupMounts(): Promise<Mount[]> {
  const text = (await readText('/proc/self/mountinfo')) ?? '';
  const mounts: Mount[] = [];
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const point = left.split(' ')[4];
    const [fsType, , superOpts] = right.split(' ');
    if (point && (fsType === 'cgroup' || fsType === 'cgroup2')) {
      mounts.push({ point, fsType, superOptions: (superOpts ?? '').split(',') });
    }
  }
  return mounts;
}

class V1Driver implements CgroupDriver {
  readonly version = 'v1';
  constructor(private readonly roots: { memory: string; pids: string; cpuacct: string }) {}

  static async detect(): Promise<V1Driver | null> {
    const mounts = (await cgroupMounts()).filter((m) => m.fsType === 'cgroup');
    const find = (controller: string) => mounts.find((m) => m.superOptions.includes(controller))?.point;
    const memory = find('memory');
    const pids = find('pids');
    const cpuacct = find('cpuacct');
    if (!memory || !pids || !cpuacct) return null;
    const roots = { memory: path.join(memory, PARENT), pids: path.join(pids, PARENT), cpuacct: path.join(cpuacct, PARENT) };
    try {
      for (const dir of Object.values(roots)) await mkdir(dir, { recursive: true });
    } catch {
      return null; // read-only cgroupfs: not ours to use
    }
    return new V1Driver(roots);
  }

  private dirs(name: string) {
    return { memory: path.join(this.roots.memory, name), pids: path.join(this.roots.pids, name), cpuacct: path.join(this.roots.cpuacct, name) };
  }

  /** Whether swap is accounted (memory.memsw.*): the same for every cgroup of the host. */
  private hasMemsw: boolean | null = null;

  async create(name: string): Promise<PhaseCgroup> {
    const dirs = this.dirs(name);
    const all = Object.values(dirs);
    try {
      for (const dir of all) mkdirSync(dir);
    } catch (err) {
      await Promise.allSettled(all.map(removeDir));
      throw err;
    }
    const memsw = path.join(dirs.memory, 'memory.memsw.limit_in_bytes');
    const hasMemsw = (this.hasMemsw ??= existsSync(memsw));
    return {
      procsFiles: all.map((d) => path.join(d, 'cgroup.procs')),
      // once, on the fresh (unlimited) cgroup: both limits only come down, the memory limit
      // first, as memsw may never be below it; with swap accounting on, swap is capped too,
      // or the limit would only move pages to swap
      setLimits: async (limits) => {
        const bytes = String(limits.memoryBytes);
        writeFileSync(path.join(dirs.memory, 'memory.limit_in_bytes'), bytes);
        if (hasMemsw) writeFileSync(memsw, bytes);
        writeFileSync(path.join(dirs.pids, 'pids.max'), String(limits.pids));
      },
      usage: () => this.usage(name),
      cpuMsNow: () => nanosToMs(readNow(path.join(dirs.cpuacct, 'cpuacct.usage'))),
      killAll: () => killUntilEmpty(all),
      // every process joins the three together: one of them tells
      isEmpty: () => readNow(path.join(dirs.pids, 'cgroup.procs')) === '',
      // the jail has ended: the cgroups are empty, and removeDir kills whatever is not
      destroy: async () => {
        await Promise.all(all.map(removeDir));
      },
    };
  }

  private async usage(name: string): Promise<CgroupUsage> {
    const dirs = this.dirs(name);
    const cpu = readNow(path.join(dirs.cpuacct, 'cpuacct.usage'));
    const peak = readNow(path.join(dirs.memory, 'memory.max_usage_in_bytes'));
    const oomControl = readNow(path.join(dirs.memory, 'memory.oom_control'));
    const failcnt = readNow(path.join(dirs.memory, 'memory.failcnt'));
    const pidsEvents = readNow(path.join(dirs.pids, 'pids.events'));
    const oomKills = /oom_kill (\d+)/.exec(oomControl ?? '')?.[1];
    return {
      cpuMs: nanosToMs(cpu),
      peakMemoryKb: peak === null ? null : Math.round(Number(peak) / 1024),
      // kernels before 4.13 have no oom_kill counter: a hit limit is the best evidence left
      oomKilled: oomKills !== undefined ? Number(oomKills) > 0 : Number(failcnt ?? 0) > 0,
      processLimitHit: forksRefused(pidsEvents) > 0,
    };
  }

  async sweep(prefix: string): Promise<number> {
    let n = 0;
    for (const root of Object.values(this.roots)) n += await sweepChildren(root, prefix);
    return n;
  }
}

class V2Driver implements CgroupDriver {
  readonly version = 'v2';
  constructor(private readonly runsRoot: string) {}

  /**
   * Our own cgroup becomes the parent of the run cgroups. cgroup v2 forbids enabling
   * controllers for children of a cgroup that holds processes, so the server first moves
   * itself into a leaf of its own (what a privileged container has to do to delegate).
   */
  static async detect(): Promise<V2Driver | null> {
    const mount = (await cgroupMounts()).find((m) => m.fsType === 'cgroup2');
    if (!mount) return null;
    const self = (await readText('/proc/self/cgroup'))?.split('\n').find((l) => l.startsWith('0::'))?.slice(3) ?? '/';
    const base = path.join(mount.point, self === '/' ? '' : self);
    const controllers = (await readText(path.join(base, 'cgroup.controllers'))) ?? '';
    if (!controllers.split(/\s+/).includes('memory') || !controllers.split(/\s+/).includes('pids')) return null;
    try {
      const server = path.join(base, 'runbox-server');
      await mkdir(server, { recursive: true });
      const procs = ((await readText(path.join(base, 'cgroup.procs'))) ?? '').split('\n').filter(Boolean);
      for (const pid of procs) {
        await writeFile(path.join(server, 'cgroup.procs'), pid).catch(() => undefined);
      }
      await writeFile(path.join(base, 'cgroup.subtree_control'), '+memory +pids');
      const runsRoot = path.join(base, PARENT);
      await mkdir(runsRoot, { recursive: true });
      await writeFile(path.join(runsRoot, 'cgroup.subtree_control'), '+memory +pids');
      return new V2Driver(runsRoot);
    } catch {
      return null;
    }
  }

  async create(name: string): Promise<PhaseCgroup> {
    const dir = path.join(this.runsRoot, name);
    mkdirSync(dir);
    const swap = path.join(dir, 'memory.swap.max');
    if (existsSync(swap)) writeFileSync(swap, '0');
    return {
      procsFiles: [path.join(dir, 'cgroup.procs')],
      setLimits: async (limits) => {
        writeFileSync(path.join(dir, 'memory.max'), String(limits.memoryBytes));
        writeFileSync(path.join(dir, 'pids.max'), String(limits.pids));
      },
      usage: () => this.usage(name),
      cpuMsNow: () => usecToMs(readNow(path.join(dir, 'cpu.stat'))),
      killAll: async () => {
        await writeFile(path.join(dir, 'cgroup.kill'), '1').catch(() => undefined);
        await killUntilEmpty([dir]);
      },
      isEmpty: () => readNow(path.join(dir, 'cgroup.procs')) === '',
      destroy: async () => {
        // cgroup.kill (5.14+) kills everything inside atomically, forks in flight included
        try {
          writeFileSync(path.join(dir, 'cgroup.kill'), '1');
        } catch {
          killProcsIn(dir);
        }
        await removeDir(dir);
      },
    };
  }

  private async usage(name: string): Promise<CgroupUsage> {
    const dir = path.join(this.runsRoot, name);
    const cpuStat = readNow(path.join(dir, 'cpu.stat'));
    const peak = readNow(path.join(dir, 'memory.peak')); // kernel 5.19+
    const events = readNow(path.join(dir, 'memory.events'));
    const pidsEvents = readNow(path.join(dir, 'pids.events'));
    return {
      cpuMs: usecToMs(cpuStat),
      peakMemoryKb: peak === null ? null : Math.round(Number(peak) / 1024),
      oomKilled: Number(/oom_kill (\d+)/.exec(events ?? '')?.[1] ?? 0) > 0,
      processLimitHit: forksRefused(pidsEvents) > 0,
    };
  }

  sweep(prefix: string): Promise<number> {
    return sweepChildren(this.runsRoot, prefix);
  }
}

export async function detectCgroups(mode: 'auto' | 'v1' | 'v2' | 'none'): Promise<CgroupDriver | null> {
  if (mode === 'none') return null;
  if (mode === 'v2' || mode === 'auto') {
    const v2 = await V2Driver.detect();
    if (v2 || mode === 'v2') return v2;
  }
  return V1Driver.detect();
}
