import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, rmdirSync, writeFileSync, writeSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FRESH, RECYCLE_MAX_BYTES, SpareCgroups, type Baseline } from './cgroup-spares.js';

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
  /** Sets the limits of a fresh (or recycled: reset) cgroup, once. */
  setLimits(limits: CgroupLimits): Promise<void>;
  usage(): Promise<CgroupUsage>;
  /** CPU used so far by everything inside (ms), read now; null when unreadable. */
  cpuMsNow(): number | null;
  /** Kills everything inside and resolves once nothing is left (a run killed at a limit). */
  killAll(): Promise<void>;
  /** Whether no process is inside (pids.current, else cgroup.procs, which leaves zombies out; an unreadable one is not empty). */
  isEmpty(): boolean;
  /** Kills everything inside, then keeps the cgroup for a later phase (see SpareCgroups) or removes it. */
  destroy(): Promise<void>;
}

export interface CgroupDriver {
  readonly version: CgroupVersion;
  create(name: string): Promise<PhaseCgroup>;
  /**
   * Whether ended phases' cgroups are kept for later phases (off until the server is up, and
   * again once it shuts down: turning it off forgets the spares, the sweep then removes them).
   */
  keepSpares(on: boolean): void;
  /** Removes cgroups left by a crashed server: those whose names start with `prefix`, spares included. */
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

/**
 * No task at all, zombies included: pids.current is a counter, cheap to read, where v1's
 * cgroup.procs builds (and later frees, in a kernel worker) a list of pids. cgroup.procs
 * drops a process when it exits, pids.current only once it is reaped: a phase that started
 * while one was still a zombie would lose a process or thread of its limit.
 */
const noTasks = (pidsDir: string) => readNow(path.join(pidsDir, 'pids.current'))?.trim() === '0';

/** Kills what is left, then waits a moment for the last zombies to be reaped. */
async function emptied(dirs: readonly string[], pidsDir: string): Promise<boolean> {
  if (noTasks(pidsDir)) return true;
  await killUntilEmpty(dirs);
  for (let attempt = 0; attempt < 5; attempt++) {
    if (noTasks(pidsDir)) return true;
    await sleep(2);
  }
  return false;
}

const oomKillsIn = (events: string | null) => Number(/oom_kill (\d+)/.exec(events ?? '')?.[1] ?? 0);

class V1Driver implements CgroupDriver {
  readonly version = 'v1';
  private readonly spares: SpareCgroups<string>;
  constructor(
    private readonly roots: { memory: string; pids: string; cpuacct: string },
    spareCount: number,
  ) {
    this.spares = new SpareCgroups(spareCount);
  }

  static async detect(spareCount: number): Promise<V1Driver | null> {
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
    return new V1Driver(roots, spareCount);
  }

  private dirs(name: string) {
    return { memory: path.join(this.roots.memory, name), pids: path.join(this.roots.pids, name), cpuacct: path.join(this.roots.cpuacct, name) };
  }

  /** Whether swap is accounted (memory.memsw.*): the same for every cgroup of the host. */
  private hasMemsw: boolean | null = null;

  async create(name: string): Promise<PhaseCgroup> {
    const spare = this.spares.take();
    if (spare) return this.phase(spare.cgroup, spare.baseline);
    const all = Object.values(this.dirs(name));
    try {
      for (const dir of all) mkdirSync(dir);
    } catch (err) {
      await Promise.allSettled(all.map(removeDir));
      throw err;
    }
    return this.phase(name, FRESH);
  }

  private phase(name: string, baseline: Baseline): PhaseCgroup {
    const dirs = this.dirs(name);
    const all = Object.values(dirs);
    const memsw = path.join(dirs.memory, 'memory.memsw.limit_in_bytes');
    const hasMemsw = (this.hasMemsw ??= existsSync(memsw));
    return {
      procsFiles: all.map((d) => path.join(d, 'cgroup.procs')),
      // once, on an unlimited cgroup (fresh, or reset when recycled): both limits only come
      // down, the memory limit first, as memsw may never be below it; with swap accounting
      // on, swap is capped too, or the limit would only move pages to swap
      setLimits: async (limits) => {
        const bytes = String(limits.memoryBytes);
        writeFileSync(path.join(dirs.memory, 'memory.limit_in_bytes'), bytes);
        if (hasMemsw) writeFileSync(memsw, bytes);
        writeFileSync(path.join(dirs.pids, 'pids.max'), String(limits.pids));
      },
      usage: async () => this.usage(dirs, baseline),
      cpuMsNow: () => nanosToMs(readNow(path.join(dirs.cpuacct, 'cpuacct.usage'))),
      killAll: () => killUntilEmpty(all),
      // every process joins the three together: one of them tells
      isEmpty: () => noTasks(dirs.pids) || readNow(path.join(dirs.pids, 'cgroup.procs')) === '',
      // the jail has ended: the cgroups are empty, and removeDir kills whatever is not
      destroy: async () => {
        const next = this.spares.hasRoom() ? await this.resetForNext(dirs, all, hasMemsw) : null;
        if (!next || !this.spares.keep(name, next)) await Promise.all(all.map(removeDir));
      },
    };
  }

  /** Empties the counters and lifts the limits of an ended phase's cgroups; null when they should go instead. */
  private async resetForNext(dirs: { memory: string; pids: string; cpuacct: string }, all: string[], hasMemsw: boolean): Promise<Baseline | null> {
    try {
      if (!(await emptied(all, dirs.pids))) return null;
      const held = Number(readNow(path.join(dirs.memory, 'memory.usage_in_bytes')) ?? Infinity);
      if (!(held <= RECYCLE_MAX_BYTES)) return null;
      // memsw may never be below the memory limit: it is lifted first
      if (hasMemsw) writeFileSync(path.join(dirs.memory, 'memory.memsw.limit_in_bytes'), '-1');
      writeFileSync(path.join(dirs.memory, 'memory.limit_in_bytes'), '-1');
      writeFileSync(path.join(dirs.pids, 'pids.max'), 'max');
      writeFileSync(path.join(dirs.cpuacct, 'cpuacct.usage'), '0');
      writeFileSync(path.join(dirs.memory, 'memory.max_usage_in_bytes'), '0'); // restarts at what it holds now
      writeFileSync(path.join(dirs.memory, 'memory.failcnt'), '0');
      return {
        oomKills: oomKillsIn(readNow(path.join(dirs.memory, 'memory.oom_control'))),
        forksRefused: forksRefused(readNow(path.join(dirs.pids, 'pids.events'))),
        cpuUsec: 0,
      };
    } catch {
      return null;
    }
  }

  private usage(dirs: { memory: string; pids: string; cpuacct: string }, baseline: Baseline): CgroupUsage {
    const cpu = readNow(path.join(dirs.cpuacct, 'cpuacct.usage'));
    const peak = readNow(path.join(dirs.memory, 'memory.max_usage_in_bytes'));
    const oomControl = readNow(path.join(dirs.memory, 'memory.oom_control'));
    const pidsEvents = readNow(path.join(dirs.pids, 'pids.events'));
    const oomKills = /oom_kill (\d+)/.exec(oomControl ?? '')?.[1];
    return {
      cpuMs: nanosToMs(cpu),
      peakMemoryKb: peak === null ? null : Math.round(Number(peak) / 1024),
      // kernels before 4.13 have no oom_kill counter: a hit limit is the best evidence left
      oomKilled: oomKills !== undefined ? Number(oomKills) > baseline.oomKills : Number(readNow(path.join(dirs.memory, 'memory.failcnt')) ?? 0) > 0,
      processLimitHit: forksRefused(pidsEvents) > baseline.forksRefused,
    };
  }

  keepSpares(on: boolean): void {
    this.spares.keepFromNowOn(on);
  }

  async sweep(prefix: string): Promise<number> {
    this.spares.forgetAll();
    let n = 0;
    for (const root of Object.values(this.roots)) n += await sweepChildren(root, prefix);
    return n;
  }
}

/** cgroup v2's memory.peak, read and reset through one open file (a reset counts for its file only, kernel 6.12+). */
class PeakFile {
  private constructor(private readonly fd: number) {}

  static open(dir: string): PeakFile | null {
    const file = path.join(dir, 'memory.peak');
    try {
      return new PeakFile(openSync(file, 'r+'));
    } catch {
      // read-only before 6.12 (without CAP_DAC_OVERRIDE that refuses the open); kernels before 5.19 have none
      try {
        return new PeakFile(openSync(file, 'r'));
      } catch {
        return null;
      }
    }
  }

  read(): number | null {
    try {
      const buf = Buffer.alloc(32);
      return Number(buf.toString('utf8', 0, readSync(this.fd, buf, 0, buf.length, 0)));
    } catch {
      return null;
    }
  }

  /** Whether the peak now restarts from the current usage (writes are refused before 6.12). */
  reset(): boolean {
    try {
      writeSync(this.fd, 'reset\n');
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}

class V2Driver implements CgroupDriver {
  readonly version = 'v2';
  private readonly spares: SpareCgroups<{ name: string; peak: PeakFile }>;
  constructor(
    private readonly runsRoot: string,
    spareCount: number,
  ) {
    this.spares = new SpareCgroups(spareCount, (spare) => spare.peak.close());
  }

  /**
   * Our own cgroup becomes the parent of the run cgroups. cgroup v2 forbids enabling
   * controllers for children of a cgroup that holds processes, so the server first moves
   * itself into a leaf of its own (what a privileged container has to do to delegate).
   */
  static async detect(spareCount: number): Promise<V2Driver | null> {
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
      return new V2Driver(runsRoot, spareCount);
    } catch {
      return null;
    }
  }

  async create(name: string): Promise<PhaseCgroup> {
    const spare = this.spares.take();
    if (spare) return this.phase(spare.cgroup.name, spare.cgroup.peak, spare.baseline);
    const dir = path.join(this.runsRoot, name);
    mkdirSync(dir);
    const swap = path.join(dir, 'memory.swap.max');
    if (existsSync(swap)) writeFileSync(swap, '0');
    return this.phase(name, PeakFile.open(dir), FRESH);
  }

  private phase(name: string, peak: PeakFile | null, baseline: Baseline): PhaseCgroup {
    const dir = path.join(this.runsRoot, name);
    const cpuMsNow = () => {
      const usec = usecToMs(readNow(path.join(dir, 'cpu.stat')));
      return usec === null ? null : usec - Math.round(baseline.cpuUsec / 1000);
    };
    return {
      procsFiles: [path.join(dir, 'cgroup.procs')],
      setLimits: async (limits) => {
        writeFileSync(path.join(dir, 'memory.max'), String(limits.memoryBytes));
        writeFileSync(path.join(dir, 'pids.max'), String(limits.pids));
      },
      usage: async () => {
        const events = readNow(path.join(dir, 'memory.events'));
        const peakBytes = peak?.read() ?? null;
        return {
          cpuMs: cpuMsNow(),
          peakMemoryKb: peakBytes === null ? null : Math.round(peakBytes / 1024),
          oomKilled: oomKillsIn(events) > baseline.oomKills,
          processLimitHit: forksRefused(readNow(path.join(dir, 'pids.events'))) > baseline.forksRefused,
        };
      },
      cpuMsNow,
      killAll: async () => {
        await writeFile(path.join(dir, 'cgroup.kill'), '1').catch(() => undefined);
        await killUntilEmpty([dir]);
      },
      isEmpty: () => noTasks(dir) || readNow(path.join(dir, 'cgroup.procs')) === '',
      destroy: async () => {
        // cgroup.kill (5.14+) kills everything inside atomically, forks in flight included
        try {
          writeFileSync(path.join(dir, 'cgroup.kill'), '1');
        } catch {
          killProcsIn(dir);
        }
        const next = peak && this.spares.hasRoom() ? await this.resetForNext(dir, peak) : null;
        if (next && this.spares.keep({ name, peak: peak! }, next)) return;
        peak?.close();
        await removeDir(dir);
      },
    };
  }

  private async resetForNext(dir: string, peak: PeakFile): Promise<Baseline | null> {
    try {
      if (!(await emptied([dir], dir))) return null;
      const held = Number(readNow(path.join(dir, 'memory.current')) ?? Infinity);
      if (!(held <= RECYCLE_MAX_BYTES) || !peak.reset()) return null;
      writeFileSync(path.join(dir, 'memory.max'), 'max');
      writeFileSync(path.join(dir, 'pids.max'), 'max');
      return {
        oomKills: oomKillsIn(readNow(path.join(dir, 'memory.events'))),
        forksRefused: forksRefused(readNow(path.join(dir, 'pids.events'))),
        cpuUsec: Number(/usage_usec (\d+)/.exec(readNow(path.join(dir, 'cpu.stat')) ?? '')?.[1] ?? 0),
      };
    } catch {
      return null;
    }
  }

  keepSpares(on: boolean): void {
    this.spares.keepFromNowOn(on);
  }

  sweep(prefix: string): Promise<number> {
    this.spares.forgetAll();
    return sweepChildren(this.runsRoot, prefix);
  }
}

/** `spareCount`: ended phases' cgroups kept for the next phases (0: each phase makes and removes its own). */
export async function detectCgroups(mode: 'auto' | 'v1' | 'v2' | 'none', spareCount = 0): Promise<CgroupDriver | null> {
  if (mode === 'none') return null;
  if (mode === 'v2' || mode === 'auto') {
    const v2 = await V2Driver.detect(spareCount);
    if (v2 || mode === 'v2') return v2;
  }
  return V1Driver.detect(spareCount);
}
