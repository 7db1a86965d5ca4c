import { execa } from 'execa';
import type { IsolationReport } from '../protocol.js';
import type { CgroupDriver } from './cgroups.js';
import { unshareArgs, type JailIsolation } from './jail.js';

export class IsolationUnavailableError extends Error {}

/**
 * Checks, once at start, that the namespaces the jail relies on can really be made here.
 * Without them (an unprivileged container) runbox refuses to start rather than run code
 * with less isolation than it reports.
 */
export async function probeIsolation(isolation: JailIsolation, cgroups: CgroupDriver | null, sandboxPath: string): Promise<IsolationReport> {
  const env = { PATH: sandboxPath };
  for (const tool of ['unshare', 'prlimit', 'setpriv', 'mount', 'umount', 'useradd', 'userdel']) {
    const found = await execa('sh', ['-c', `command -v ${tool}`], { env, extendEnv: false, reject: false });
    if (found.exitCode !== 0) throw new IsolationUnavailableError(`${tool} not found on ${sandboxPath} (util-linux/shadow tools are required)`);
  }
  const probe = await execa('unshare', [...unshareArgs(isolation), '--', '/bin/sh', '-c', 'exit 0'], { env, extendEnv: false, reject: false });
  if (probe.exitCode !== 0) {
    throw new IsolationUnavailableError(`cannot create namespaces (is the container privileged?): ${probe.stderr.trim()}`);
  }
  return {
    runUserPerRun: true,
    cgroup: cgroups?.version ?? 'none',
    memoryLimit: cgroups !== null,
    pidsLimit: cgroups !== null,
    cpuAccounting: cgroups !== null,
    pidNamespace: true,
    mountNamespace: true,
    networkNamespace: !isolation.network,
    privateTmp: true,
    rlimits: true,
  };
}
