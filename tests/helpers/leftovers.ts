import { readdir, readFile } from 'node:fs/promises';

export interface Leftovers {
  users: string[];
  homes: string[];
  processes: string[];
  cgroups: string[];
  mounts: string[];
}

/**
 * What runs may leave on the machine: exec_ users, their homes and mounts, processes
 * running as a run user or as a uid no account owns any more, and run cgroups.
 * Under a RUNBOX_INSTANCE tag only that instance's names count (exec_<tag>...): other
 * servers on the host (another tag) have runs of their own in flight; a process of a uid
 * already deleted could be theirs too, so that check is for an untagged suite only.
 */
export async function findLeftovers(homeRoot = '/home'): Promise<Leftovers> {
  const tag = process.env.RUNBOX_INSTANCE ?? '';
  const ours = (name: string | undefined) => name?.startsWith(`exec_${tag}`) ?? false;
  const passwd = (await readFile('/etc/passwd', 'utf8')).split('\n').map((l) => l.split(':'));
  const users = passwd.filter((f) => ours(f[0])).map((f) => f[0]!);
  const runUids = new Set(passwd.filter((f) => ours(f[0])).map((f) => f[2]));
  const knownUids = new Set(passwd.map((f) => f[2]));

  const processes: string[] = [];
  for (const pid of (await readdir('/proc')).filter((n) => /^\d+$/.test(n))) {
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    // a zombie runs nothing; reaping it is its parent's business (here often the VM's init)
    if (/^State:\s+Z/m.test(status)) continue;
    const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
    if (uid && (runUids.has(uid) || (tag === '' && !knownUids.has(uid)))) {
      processes.push(`${pid} uid=${uid} ${/^Name:\s+(.*)$/m.exec(status)?.[1]}`);
    }
  }
  const homes = (await readdir(homeRoot).catch(() => [] as string[])).filter(ours);
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter((l) => l.includes(`/exec_${tag}`)).map((l) => l.split(' ')[4]!);
  const cgroups: string[] = [];
  for (const root of ['/sys/fs/cgroup/memory/runbox', '/sys/fs/cgroup/pids/runbox', '/sys/fs/cgroup/cpuacct/runbox', '/sys/fs/cgroup/runbox']) {
    const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
    cgroups.push(...entries.filter((e) => e.isDirectory() && (tag === '' || ours(e.name))).map((e) => `${root}/${e.name}`));
  }
  return { users, homes, processes, cgroups, mounts };
}

export const NOTHING_LEFT: Leftovers = { users: [], homes: [], processes: [], cgroups: [], mounts: [] };
