import os from 'node:os';

/**
 * A run's CPU limit is the total of all its processes and threads, as its cgroup counts it,
 * and it ends the run within a few milliseconds of the limit. RLIMIT_CPU cannot do that: it is
 * per process and in whole seconds (two processes under a 1 s limit used 1.8 s; a 300 ms limit
 * killed at ~1000 ms), so it stays only as a backstop.
 *
 * Checks are spaced by the least time the rest of the budget could take: a run cannot use
 * CPU faster than the machine has cores. A hello world is never checked, a busy loop a dozen
 * times or so as it nears its limit, then every millisecond.
 */
export function watchCpu(readCpuMs: () => number | null, limitMs: number, onExceeded: () => void, cores = os.availableParallelism()): { stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  const next = (usedMs: number) => {
    timer = setTimeout(check, Math.max(1, Math.floor((limitMs - usedMs) / cores)));
  };
  const check = () => {
    const used = readCpuMs();
    // unreadable (the cgroup is going away): the rlimit backstop remains
    if (used === null) return;
    if (used >= limitMs) onExceeded();
    else next(used);
  };
  next(0);
  return { stop: () => clearTimeout(timer) };
}
