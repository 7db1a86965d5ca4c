/**
 * CPU time spent by the whole machine, for the benchmark's cost-per-run figures.
 *
 * Counted system-wide from /proc/stat rather than per process: a sandboxed run's processes
 * live in pid namespaces whose init reaps them, so no parent the benchmark can read adds
 * their time to its cutime; and the kernel's own work for a run (namespaces, mounts,
 * cgroups, useradd's file rewrites) belongs to no process at all. The price is that
 * everything else the machine does is counted too, which the caller estimates and removes.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The unit of /proc/stat (USER_HZ, nearly always 100). */
const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** Busy time of all cores since boot, ms: user + nice + system + irq + softirq + steal. */
export function machineBusyMs(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user)
  const [user, nice, system, , , irq, softirq, steal] = fields as [number, number, number, number, number, number, number, number];
  return ((user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND) * 1000;
}

export interface CpuSpent {
  /** The whole machine's busy time during the work, ms. */
  machineMs: number;
  /** Of that, this (benchmark) process's own user + system time, ms. */
  selfMs: number;
  wallMs: number;
}

export async function cpuSpentOn(work: () => Promise<unknown>): Promise<CpuSpent> {
  const [busy, self, started] = [machineBusyMs(), process.cpuUsage(), performance.now()];
  await work();
  const selfUsed = process.cpuUsage(self);
  return { machineMs: machineBusyMs() - busy, selfMs: (selfUsed.user + selfUsed.system) / 1000, wallMs: performance.now() - started };
}

/** What the machine spends with nothing of ours running: ms of CPU per second of wall time. */
export async function backgroundMsPerSecond(sampleMs: number): Promise<number> {
  const idle = await cpuSpentOn(() => new Promise((r) => setTimeout(r, sampleMs)));
  return ((idle.machineMs - idle.selfMs) / idle.wallMs) * 1000;
}
