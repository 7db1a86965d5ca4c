import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CgroupDriver, PhaseCgroup } from './cgroups.js';
import { mountTable } from './mount-table.js';
import { OutputCollector, type OutputChunk } from './output.js';
import type { RunUser } from './users.js';

/**
 * Runs one command as a run user inside fresh namespaces, under rlimits and a cgroup,
 * and reports how it ended. This is the only place that starts untrusted code.
 *
 * Process tree:  server -> unshare (own process group) -> sh as pid 1 of a new pid
 * namespace (root: joins the cgroup, applies the mount table: private /tmp, hidden
 * paths, only its own home) -> prlimit ->
 * setpriv (drops to the run user) -> the program.
 * The program is never pid 1: the kernel ignores signals a pid-1 process has no handler
 * for, which would make `kill -SEGV $$` or abort() behave unlike anywhere else. When pid 1
 * exits the kernel kills every other process in the namespace, so nothing the program
 * started (setsid, double fork) outlives it; killing unshare kills pid 1 (--kill-child).
 */

export interface JailLimits {
  wallMs: number;
  cpuMs: number;
  memoryBytes: number;
  processes: number;
  openFiles: number;
  fileSizeBytes: number;
  outputBytes: number;
  tmpBytes: number;
}

export interface JailIsolation {
  network: boolean;
  hiddenPaths: readonly string[];
  /** Root-only directory for the jail's per-phase mount tables. */
  stateDir: string;
}

export interface JailOptions {
  user: RunUser;
  command: readonly string[];
  env: Readonly<Record<string, string>>;
  stdin: string;
  limits: JailLimits;
  isolation: JailIsolation;
  cgroups: CgroupDriver | null;
  /** Unique per phase: the cgroup's directory name. */
  phaseName: string;
  onOutput?: (chunk: OutputChunk) => void;
  /** Aborting kills the whole run (server shutdown). */
  signal?: AbortSignal;
}

export type JailEnd = 'exit' | 'timeout' | 'output_limit' | 'aborted';

export interface JailResult {
  end: JailEnd;
  exitCode: number | null;
  signal: string | null;
  wallMs: number;
  cpuMs: number | null;
  memoryKb: number | null;
  oomKilled: boolean;
  stdout: string;
  stderr: string;
  output: string;
  truncated: boolean;
}

export class JailSetupError extends Error {}

// Runs as root inside the new namespaces; RB_* come from the environment and are removed
// before the program starts. Setup failures are reported on fd 3, which the program never
// inherits, so a program cannot fake one and a failure cannot pass for program output.
const JAIL_SCRIPT = String.raw`
fail() { echo "$1" >&3; exit 125; }
IFS='
'
for f in $RB_CGROUP_PROCS; do echo 0 > "$f" || fail "cannot join cgroup $f"; done
unset IFS
mount -a -T "$RB_MOUNTS" || fail "cannot set up mounts from $RB_MOUNTS"
cd "$HOME" || fail "cannot enter $HOME"
umask 077
set -- prlimit "--cpu=$RB_CPU" "--nproc=$RB_NPROC" "--fsize=$RB_FSIZE" "--nofile=$RB_NOFILE" --core=0 -- \
  setpriv "--reuid=$RB_UID" "--regid=$RB_GID" --clear-groups --no-new-privs --inh-caps=-all --bounding-set=-all -- "$@"
unset RB_MOUNTS RB_CGROUP_PROCS RB_CPU RB_NPROC RB_FSIZE RB_NOFILE RB_UID RB_GID OLDPWD
exec 3>&-
"$@"
exit $?
`;

export function unshareArgs(isolation: JailIsolation): string[] {
  const args = ['--pid', '--fork', '--kill-child', '--mount-proc', '--mount', '--ipc', '--uts'];
  if (!isolation.network) args.push('--net');
  return args;
}

// first name wins: SIGABRT, not its alias SIGIOT
const signalNames = new Map<number, string>();
for (const [name, num] of Object.entries(osConstants.signals)) if (!signalNames.has(num)) signalNames.set(num, name);

/** sh reports a child killed by signal N as status 128+N. */
function decodeStatus(code: number | null, signal: NodeJS.Signals | null): { exitCode: number | null; signal: string | null } {
  if (signal) return { exitCode: null, signal };
  if (code !== null && code > 128 && signalNames.has(code - 128)) return { exitCode: null, signal: signalNames.get(code - 128)! };
  return { exitCode: code, signal: null };
}

export async function runInJail(opts: JailOptions): Promise<JailResult> {
  const { limits, user } = opts;
  const cgroup: PhaseCgroup | null = opts.cgroups
    ? await opts.cgroups.create(opts.phaseName, { memoryBytes: limits.memoryBytes, pids: limits.processes })
    : null;
  const mountsFile = path.join(opts.isolation.stateDir, `${opts.phaseName}.fstab`);
  try {
    await writeFile(mountsFile, mountTable({ home: user.home, hiddenPaths: opts.isolation.hiddenPaths, ownNetwork: !opts.isolation.network, tmpBytes: limits.tmpBytes }), { mode: 0o600 });
    return await spawnJailed(opts, cgroup, mountsFile);
  } finally {
    await Promise.all([cgroup?.destroy(), rm(mountsFile, { force: true })]);
  }
}

function spawnJailed(opts: JailOptions, cgroup: PhaseCgroup | null, mountsFile: string): Promise<JailResult> {
  const { limits, user } = opts;
  const cpuSeconds = Math.max(1, Math.ceil(opts.limits.cpuMs / 1000));
  const env: Record<string, string> = {
    ...opts.env,
    RB_CGROUP_PROCS: (cgroup?.procsFiles ?? []).join('\n'),
    RB_MOUNTS: mountsFile,
    // soft limit sends SIGXCPU, the hard one a second later SIGKILL
    RB_CPU: `${cpuSeconds}:${cpuSeconds + 1}`,
    RB_NPROC: String(limits.processes),
    RB_FSIZE: String(limits.fileSizeBytes),
    RB_NOFILE: String(limits.openFiles),
    RB_UID: String(user.uid),
    RB_GID: String(user.gid),
  };

  return new Promise<JailResult>((resolve, reject) => {
    const started = performance.now();
    const child = spawn('unshare', [...unshareArgs(opts.isolation), '--', '/bin/sh', '-c', JAIL_SCRIPT, 'runbox-jail', ...opts.command], {
      env,
      detached: true, // own process group: one kill reaches unshare and pid 1
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    });
    const collector = new OutputCollector(limits.outputBytes, opts.onOutput);
    let end: JailEnd = 'exit';
    let setupError = '';
    let exitInfo: { code: number | null; signal: NodeJS.Signals | null; at: number } | null = null;

    const killAll = (reason: JailEnd) => {
      if (end === 'exit' && exitInfo === null) end = reason;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const wallTimer = setTimeout(() => killAll('timeout'), limits.wallMs);
    const onAbort = () => killAll('aborted');
    if (opts.signal?.aborted) onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout!.on('data', (d: Buffer) => collector.push('stdout', d) || killAll('output_limit'));
    child.stderr!.on('data', (d: Buffer) => collector.push('stderr', d) || killAll('output_limit'));
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => (setupError += d.toString()));
    child.stdin!.on('error', () => undefined); // EPIPE: the program did not read all its input
    child.stdin!.end(opts.stdin);

    child.on('error', (err) => {
      clearTimeout(wallTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      reject(err);
    });
    child.on('exit', (code, signal) => {
      exitInfo = { code, signal, at: performance.now() };
      clearTimeout(wallTimer);
      // every process in the namespace is dead now, so the pipes close at once; this only
      // guards against a holder outside it
      setTimeout(() => {
        for (const s of [child.stdout, child.stderr, child.stdio[3]]) (s as NodeJS.ReadableStream & { destroy(): void })?.destroy();
      }, 1000).unref();
    });
    child.on('close', async () => {
      opts.signal?.removeEventListener('abort', onAbort);
      const info = exitInfo ?? { code: null, signal: null, at: performance.now() };
      collector.finish();
      if (setupError) {
        reject(new JailSetupError(setupError.trim()));
        return;
      }
      const usage = (await cgroup?.usage()) ?? { cpuMs: null, peakMemoryKb: null, oomKilled: false };
      const status = decodeStatus(info.code, info.signal);
      resolve({
        end,
        ...status,
        wallMs: Math.round(info.at - started),
        cpuMs: usage.cpuMs,
        memoryKb: usage.peakMemoryKb,
        oomKilled: usage.oomKilled,
        stdout: collector.stdout,
        stderr: collector.stderr,
        output: collector.output,
        truncated: collector.truncated,
      });
    });
  });
}
