import type { HealthResponse } from '../../backend/src/protocol.js';

type Isolation = HealthResponse['isolation'];

/** One layer of a run's isolation, in words a visitor understands, and whether this server has it. */
export interface Layer {
  name: string;
  inForce: boolean;
  detail: string;
}

/** What /api/health's isolation report means, layer by layer (what a jail probed at start found). */
export function isolationLayers(i: Isolation): Layer[] {
  const cgroup = i.cgroup === 'none' ? null : `cgroup ${i.cgroup}`;
  return [
    { name: 'A new Linux user for every run', inForce: i.runUserPerRun, detail: 'created for the run and deleted after it, never reused' },
    {
      name: 'A root filesystem holding only the toolchains',
      inForce: i.rootfs === 'allowlist',
      detail: i.rootfs === 'allowlist' ? `${i.jail} builds each run's / from an allowlist: other homes, the app and the database do not exist inside` : "runs see the host's files (read-only)",
    },
    { name: 'System call filter', inForce: i.seccomp, detail: 'seccomp refuses namespaces, mounts, ptrace, kernel modules, io_uring and more' },
    { name: 'User namespaces blocked', inForce: i.userNamespaces === 'blocked', detail: 'a run cannot make itself root in a namespace of its own' },
    { name: 'No capabilities', inForce: i.capabilities === 'none', detail: 'every privilege dropped, no_new_privs set' },
    {
      name: 'Own process, mount and network namespaces',
      inForce: i.pidNamespace && i.mountNamespace && i.networkNamespace,
      detail: [
        i.pidNamespace ? 'sees only its own processes' : "sees the host's processes",
        i.mountNamespace ? 'has mounts of its own' : "shares the host's mounts",
        i.networkNamespace ? 'has no network to reach anything' : "uses the host's network",
      ].join(', '),
    },
    { name: 'Memory limit', inForce: i.memoryLimit, detail: cgroup ? `enforced by ${cgroup}` : 'no usable cgroup on this host' },
    { name: 'Process limit', inForce: i.pidsLimit, detail: cgroup ? `a fork bomb stops at the pids limit (${cgroup})` : 'rlimits only' },
    { name: 'CPU time measured', inForce: i.cpuAccounting, detail: cgroup ? `from ${cgroup}` : 'not measured without a cgroup' },
    { name: 'Private /tmp', inForce: i.privateTmp, detail: 'a small memory filesystem of the run\'s own' },
    { name: 'Resource limits (rlimits)', inForce: i.rlimits, detail: 'CPU seconds, file size, open files, no core dumps' },
  ];
}

/** The load in one sentence each. */
export function loadWords(h: HealthResponse): string[] {
  const r = h.runs;
  return [
    `${r.active} of ${r.concurrency} run ${plural(r.concurrency, 'slot')} busy; ${r.queued} ${r.queued === 1 ? 'run waits' : 'runs wait'} (the queue holds ${r.maxQueue}).`,
    `${r.live.active} of ${r.live.max} live ${plural(r.live.max, 'run')} open.`,
    `${r.usersReady} fresh run ${plural(r.usersReady, 'user')} ready, each with its jail built; ${r.cleanupsPending} finished ${plural(r.cleanupsPending, 'run')} still being cleaned up.`,
  ];
}

const plural = (n: number, word: string) => (n === 1 ? word : `${word}s`);
