import { chmod, copyFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import type { IsolationLayer, IsolationReport } from '../protocol.js';
import type { CgroupDriver } from './cgroups.js';
import { Jail, type JailIsolation, type JailSetup } from './jail.js';
import { HOSTS_FILE, LAUNCHER_IN_JAIL, planJailRoot, stageEtc, templateArgs } from './jail-root.js';
import { JailLauncher } from './jail-launcher.js';
import type { RunUser } from './users.js';

export class IsolationUnavailableError extends Error {}

export interface IsolationSettings {
  network: boolean;
  hiddenPaths: readonly string[];
  stateDir: string;
  /** Where setup built runbox-jail and seccomp-export (backend/native). */
  nativeDir: string;
  sandboxPath: string;
  toolchainCommands: readonly string[];
  extraReadOnly: readonly string[];
  /** RUNBOX_JAIL: bubblewrap per jail, or the launcher's template built once */
  jail: 'bubblewrap' | 'template';
  /** where homes are: the template makes the directory runs mount their home's parent over */
  homeRoot: string;
}

/**
 * Puts what every jail needs into the root-only state dir, once at start: a copy of the
 * launcher (bound into jails, so it must not live in the hidden app directory), the
 * syscall filter exported as BPF, and the jail's /etc; then plans the allowlisted root.
 */
export async function prepareIsolation(settings: IsolationSettings): Promise<JailIsolation> {
  const env = { PATH: settings.sandboxPath };
  const bwrap = await execa('sh', ['-c', 'command -v bwrap'], { env, extendEnv: false, reject: false });
  if (bwrap.exitCode !== 0 || !bwrap.stdout.startsWith('/')) throw new IsolationUnavailableError(`bwrap (bubblewrap) not found on ${settings.sandboxPath}: run scripts/setup.sh`);
  const launcher = path.join(settings.stateDir, 'runbox-jail');
  const seccompFilter = path.join(settings.stateDir, 'seccomp.bpf');
  const etcDir = path.join(settings.stateDir, 'etc');
  try {
    await copyFile(path.join(settings.nativeDir, 'runbox-jail'), launcher);
    await chmod(launcher, 0o755);
  } catch (err) {
    throw new IsolationUnavailableError(`the jail launcher is missing (${(err as Error).message}): run scripts/setup.sh`);
  }
  // the state dir is root-only: the filter file needs no mode of its own
  const exported = await execa(path.join(settings.nativeDir, 'seccomp-export'), [], { stdout: { file: seccompFilter }, reject: false });
  if (exported.exitCode !== 0) throw new IsolationUnavailableError(`cannot export the syscall filter: ${exported.stderr || exported.message}`);
  stageEtc(etcDir, HOSTS_FILE, { extraReadOnly: settings.extraReadOnly });
  const root = planJailRoot({
    toolchainCommands: settings.toolchainCommands,
    sandboxPath: settings.sandboxPath,
    extraReadOnly: settings.extraReadOnly,
    hiddenPaths: settings.hiddenPaths,
    network: settings.network,
    launcher,
    etcDir,
  });
  const template = settings.jail === 'template' ? await buildableTemplate(launcher, templateArgs(root, settings.homeRoot)) : null;
  const kind = template && 'args' in template ? 'template' : 'bubblewrap';
  return {
    kind,
    ...(template && 'refused' in template ? { templateRefused: template.refused } : {}),
    network: settings.network,
    root,
    stateDir: settings.stateDir,
    launcher: new JailLauncher(launcher, template && 'args' in template ? template.args : null),
    bwrap: bwrap.stdout.trim(),
    seccompFilter,
  };
}

/**
 * Whether this kernel (or container) lets the launcher build the template: it is built once
 * as serve would build it. When a step is refused, jails are bubblewrap's (the fallback the
 * server logs, and /api/health reports as `jail`).
 */
async function buildableTemplate(launcher: string, args: string[]): Promise<{ args: string[] } | { refused: string }> {
  const check = await execa(launcher, ['template-check', ...args], { reject: false, timeout: 30000 });
  return check.exitCode === 0 ? { args } : { refused: String(check.stderr || check.message || 'exit ' + check.exitCode).trim() };
}

/**
 * Jails made by bubblewrap from now on, where jails from the template were asked for and
 * failed (`reason`): the template's helper stops, the same isolation otherwise.
 */
export function fallBackToBubblewrap(isolation: JailIsolation, reason: string): void {
  // not waited for: the helper's child process does not hold the event loop, and a server still
  // starting has nothing else that does (awaiting it ended the process, code 0, in a container)
  void isolation.launcher.stop();
  Object.assign(isolation, { kind: 'bubblewrap', templateRefused: reason, launcher: isolation.launcher.withoutTemplate() });
}

/** What the launcher's probe mode prints, one `key=value` a line. */
export function parseProbe(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .map((l) => l.split('='))
      .filter((kv) => kv.length >= 2)
      .map(([k, ...v]) => [k!, v.join('=')]),
  );
}

/**
 * Starts one real jail as a throwaway run user and asks, from inside, what is in force:
 * the syscall filter (Seccomp: 2), user namespaces refused, no capabilities, no /sys, no
 * host /etc/shadow. Reports only what it saw, and refuses to start when a layer the
 * operator requires (RUNBOX_REQUIRED_LAYERS) is missing.
 */
export async function probeIsolation(
  isolation: JailIsolation,
  cgroups: CgroupDriver | null,
  probeUser: () => Promise<{ user: RunUser; destroy(): Promise<void> }>,
  jailSetup: (user: RunUser) => JailSetup,
  required: readonly IsolationLayer[],
): Promise<IsolationReport> {
  const { user, destroy } = await probeUser();
  let seen: Record<string, string>;
  try {
    const jail = await Jail.prepare(jailSetup(user)).catch((err: Error) => {
      throw new IsolationUnavailableError(`cannot build a jail (is the container privileged?): ${err.message}`);
    });
    try {
      const result = await jail.run({
        command: [LAUNCHER_IN_JAIL, 'probe'],
        stdin: '',
        limits: { wallMs: 10000, cpuMs: 5000, memoryBytes: 64 * 1024 * 1024, processes: 16, openFiles: 64, fileSizeBytes: 1024 * 1024, outputBytes: 64 * 1024 },
      });
      if (result.exitCode !== 0) throw new IsolationUnavailableError(`the jail probe failed: ${result.output.trim() || result.signal}`);
      seen = parseProbe(result.stdout);
    } finally {
      await jail.discard();
    }
  } finally {
    await destroy();
  }
  const report: IsolationReport = {
    runUserPerRun: seen.uid === String(user.uid),
    jail: isolation.kind,
    rootfs: seen.shadow === 'absent' && seen.sys === 'absent' ? 'allowlist' : 'host',
    seccomp: seen.seccomp === '2',
    userNamespaces: seen.userns === 'allowed' ? 'allowed' : 'blocked',
    capabilities: seen.capEff === '0000000000000000' ? 'none' : 'some',
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
  const present: Record<IsolationLayer, boolean> = {
    seccomp: report.seccomp,
    userNamespacesBlocked: report.userNamespaces === 'blocked',
    allowlistRoot: report.rootfs === 'allowlist',
    cgroup: report.cgroup !== 'none',
    networkNamespace: report.networkNamespace,
  };
  const missing = required.filter((layer) => !present[layer]);
  if (missing.length > 0) {
    throw new IsolationUnavailableError(`required isolation missing: ${missing.join(', ')} (RUNBOX_REQUIRED_LAYERS); probe saw ${JSON.stringify(seen)}`);
  }
  // the program holds its three streams and nothing else the server or its parent had open
  if (seen.fds !== '0,1,2') throw new IsolationUnavailableError(`a jail's program holds fds ${seen.fds} (only 0,1,2 may be open)`);
  if (!report.runUserPerRun || report.capabilities !== 'none') {
    throw new IsolationUnavailableError(`the jail probe did not run as its own unprivileged user: ${JSON.stringify(seen)}`);
  }
  return report;
}
