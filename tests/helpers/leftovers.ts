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
 */
export async function findLeftovers(homeRoot = '/home'): Promise<Leftovers> {
  const passwd = (await readFile('/etc/passwd', 'utf8')).split('\n').map((l) => l.split(':'));
  const users = passwd.filter((f) => f[0]?.startsWith('exec_')).map((f) => f[0]!);
  const runUids = new Set(passwd.filter((f) => f[0]?.startsWith('exec_')).map((f) => f[2]));
  const knownUids = new Set(passwd.map((f) => f[2]));

  const processes: string[] = [];
  for (const pid of (await readdir('/proc')).filter((n) => /^\d+$/.test(n))) {
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    // a zombie runs nothing; reaping it is its parent's business (here often the VM's init)
    if (/^State:\s+Z/m.test(status)) continue;
    const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
    if (uid && (runUids.has(uid) || !knownUids.has(uid))) {
      processes.push(`${pid} uid=${uid} ${/^Name:\s+(.*)$/m.exec(status)?.[1]}`);
    }
  }
  const homes = (await readdir(homeRoot).catch(() => [] as string[])).filter((n) => n.startsWith('exec_'));
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter((l) => l.includes('exec_')).map((l) => l.split(' ')[4]!);
  const cgroups: string[] = [];
  for (const root of ['/sys/fs/cgroup/memory/runbox', '/sys/fs/cgroup/pids/runbox', '/sys/fs/cgroup/cpuacct/runbox', '/sys/fs/cgroup/runbox']) {
    const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
    cgroups.push(...entries.filter((e) => e.isDirectory()).map((e) => `${root}/${e.name}`));
  }
  return { users, homes, processes, cgroups, mounts };
}

export const NOTHING_LEFT: Leftovers = { users: [], homes: [], processes: [], cgroups: [], mounts: [] };
