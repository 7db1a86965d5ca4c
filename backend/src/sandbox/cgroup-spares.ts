/**
 * Spare cgroups (RUNBOX_SPARE_CGROUPS): what an ended phase's cgroup must be to be handed to a
 * later phase, and the list that keeps it until then. The drivers (cgroups.ts) reset and check.
 */

/**
 * What a recycled cgroup's counters already held when it was handed on: the kernel offers no
 * reset for these, so a phase counts from here.
 */
export interface Baseline {
  oomKills: number;
  forksRefused: number;
  /** v2: cpu.stat's usage_usec cannot be reset (v1's cpuacct.usage is set to 0). */
  cpuUsec: number;
}

export const FRESH: Baseline = { oomKills: 0, forksRefused: 0, cpuUsec: 0 };

/**
 * A phase's cgroup is handed to the next phase only when what it still holds is about what a
 * hello world or a fork bomb leaves (kernel objects, a little page cache: 0.3-1.1 MiB
 * measured); one a compile or a big program filled (files in the home stay charged until the
 * home is gone) is removed instead, so no phase starts inside another's memory. The next
 * phase's peak starts from what is held (the kernel restarts it there), so a peak may include
 * up to this much that an earlier phase left: far below any memory limit, and page cache the
 * kernel reclaims before it would refuse the phase anything.
 */
export const RECYCLE_MAX_BYTES = 2 * 1024 * 1024;

/**
 * Empty phase cgroups kept for the next phases (RUNBOX_SPARE_CGROUPS). Making and removing a
 * memory cgroup is kernel work (per-CPU counters, RCU-deferred frees); resetting an empty one
 * is a few writes. Only cgroups with nothing inside are kept, with their counters' baselines;
 * sweep() (start-up and shutdown) forgets them as it removes them.
 */
export class SpareCgroups<T> {
  private readonly spare: { cgroup: T; baseline: Baseline }[] = [];
  private keeping = false;
  constructor(
    private readonly capacity: number,
    /** What a forgotten spare holds open (v2's memory.peak file). */
    private readonly release: (cgroup: T) => void = () => undefined,
  ) {}

  take(): { cgroup: T; baseline: Baseline } | undefined {
    return this.spare.pop();
  }

  hasRoom(): boolean {
    return this.keeping && this.spare.length < this.capacity;
  }

  keepFromNowOn(on: boolean): void {
    this.keeping = on;
    if (!on) this.forgetAll();
  }

  /** False once keeping stopped while the cgroup was being reset (shutdown): the caller removes it. */
  keep(cgroup: T, baseline: Baseline): boolean {
    if (!this.hasRoom()) return false;
    this.spare.push({ cgroup, baseline });
    return true;
  }

  forgetAll(): void {
    for (const { cgroup } of this.spare.splice(0)) this.release(cgroup);
  }
}
