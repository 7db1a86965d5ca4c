import { spawn, type ChildProcess } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
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
 * paths, only its own home) -> prlimit -> setpriv (drops to the run user) -> the program.
 * The program is never pid 1: the kernel ignores signals a pid-1 process has no handler
 * for, which would make `kill -SEGV $$` or abort() behave unlike anywhere else. When pid 1
 * exits the kernel kills every other process in the namespace, so nothing the program
 * started (setsid, double fork) outlives it; killing unshare kills pid 1 (--kill-child).
 *
 * A jail is made in two steps so the expensive part can happen before a request needs it:
 * prepare() builds the namespaces and mounts and parks pid 1 at a gate; run() hands it the
 * command and limits, and only then does anything run as the user.
 */

export interface JailLimits {
  wallMs: number;
  cpuMs: number;
  memoryBytes: number;
  processes: number;
  openFiles: number;
  fileSizeBytes: number;
  outputBytes: number;
}

export interface JailIsolation {
  network: boolean;
  hiddenPaths: readonly string[];
  /** Root-only directory for the jail's per-phase mount tables. */
  stateDir: string;
}

/** What is known before the program is: who, where, how isolated. */
export interface JailSetup {
  user: RunUser;
  env: Readonly<Record<string, string>>;
  isolation: JailIsolation;
  cgroups: CgroupDriver | null;
  /** Unique per phase: the cgroup's directory name. */
  phaseName: string;
  tmpBytes: number;
}

/** The program and its limits. */
export interface JailRun {
  command: readonly string[];
  stdin: string;
  limits: JailLimits;
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

// Runs as root inside the new namespaces. Setup problems and the "ready" mark go to fd 3,
// which the program never inherits, so a program can neither fake one nor pass for one.
// Once the server decides what to run it writes the command as shell assignments (every
// value single-quoted) to a root-only file and says "go" on fd 4; closing fd 4 without it
// discards the jail.
const JAIL_SCRIPT = String.raw`
fail() { echo "$1" >&3; exit 125; }
IFS='
'
for f in $RB_CGROUP_PROCS; do echo 0 > "$f" || fail "cannot join cgroup $f"; done
unset IFS
mount -a -T "$RB_MOUNTS" || fail "cannot set up mounts from $RB_MOUNTS"
cd "$HOME" || fail "cannot enter $HOME"
umask 077
echo ready >&3
read -r go <&4 && [ "$go" = go ] || exit 0
. "$RB_GATE" || fail "cannot read $RB_GATE"
[ "$RB_GO" = 1 ] || exit 0
exec 3>&- 4<&-
set -- prlimit "--cpu=$RB_CPU" "--nproc=$RB_NPROC" "--fsize=$RB_FSIZE" "--nofile=$RB_NOFILE" --core=0 -- \
  setpriv "--reuid=$RB_UID" "--regid=$RB_GID" --clear-groups --no-new-privs --inh-caps=-all --bounding-set=-all -- "$@"
unset RB_GO RB_GATE RB_MOUNTS RB_CGROUP_PROCS RB_CPU RB_NPROC RB_FSIZE RB_NOFILE RB_UID RB_GID OLDPWD
"$@"
exit $?
`;

/** Single quotes make every byte literal; a quote itself is closed, escaped, reopened. */
const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

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

const PREPARE_TIMEOUT_MS = 15000;
const gateFile = (mountsFile: string) => mountsFile.replace(/\.fstab$/, '.gate');

type ExitInfo = { code: number | null; signal: NodeJS.Signals | null; at: number };

export class Jail {
  private state: 'ready' | 'running' | 'done' = 'ready';
  private collector: OutputCollector | null = null;
  private end: JailEnd = 'exit';
  private diagnostics = '';
  private exitInfo: ExitInfo | null = null;
  private readonly closed: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly cgroup: PhaseCgroup | null,
    private readonly mountsFile: string,
    readonly phaseName: string,
  ) {
    child.stdout!.on('data', (d: Buffer) => this.output('stdout', d));
    child.stderr!.on('data', (d: Buffer) => this.output('stderr', d));
    child.stdin!.on('error', () => undefined); // EPIPE: the program did not read all its input
    (child.stdio[4] as Writable).on('error', () => undefined);
    child.on('exit', (code, signal) => {
      this.exitInfo = { code, signal, at: performance.now() };
      // every process in the namespace is dead now, so the pipes close at once; this only
      // guards against a holder outside it
      setTimeout(() => {
        for (const s of [child.stdout, child.stderr, child.stdio[3]]) (s as Readable | null)?.destroy();
      }, 1000).unref();
    });
    this.closed = new Promise((resolve) => child.on('close', () => resolve()));
  }

  /** Builds the namespaces, cgroup and mounts; resolves once pid 1 waits at the gate. */
  static async prepare(setup: JailSetup): Promise<Jail> {
    const { user, isolation } = setup;
    const cgroup = setup.cgroups ? await setup.cgroups.create(setup.phaseName) : null;
    const mountsFile = path.join(isolation.stateDir, `${setup.phaseName}.fstab`);
    try {
      await writeFile(mountsFile, mountTable({ home: user.home, hiddenPaths: isolation.hiddenPaths, ownNetwork: !isolation.network, tmpBytes: setup.tmpBytes }), { mode: 0o600 });
      const child = spawn('unshare', [...unshareArgs(isolation), '--', '/bin/sh', '-c', JAIL_SCRIPT, 'runbox-jail'], {
        env: {
          ...setup.env,
          RB_CGROUP_PROCS: (cgroup?.procsFiles ?? []).join('\n'),
          RB_MOUNTS: mountsFile,
          RB_GATE: gateFile(mountsFile),
          RB_UID: String(user.uid),
          RB_GID: String(user.gid),
        },
        detached: true, // own process group: one kill reaches unshare and pid 1
        stdio: ['pipe', 'pipe', 'pipe', 'pipe', 'pipe'],
      });
      const jail = new Jail(child, cgroup, mountsFile, setup.phaseName);
      await jail.waitReady();
      return jail;
    } catch (err) {
      await Promise.all([cgroup?.destroy(), rm(mountsFile, { force: true })]);
      throw err;
    }
  }

  private waitReady(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const fd3 = this.child.stdio[3] as Readable;
      const timer = setTimeout(() => fail(new JailSetupError('sandbox setup timed out')), PREPARE_TIMEOUT_MS);
      const done = () => {
        clearTimeout(timer);
        fd3.off('data', onData);
        this.child.off('error', fail);
        this.child.off('exit', onExit);
      };
      const fail = (err: Error) => {
        done();
        this.kill();
        reject(err instanceof JailSetupError ? err : new JailSetupError(err.message));
      };
      const onExit = () => fail(new JailSetupError(this.diagnostics.trim() || 'sandbox setup failed'));
      const onData = (d: Buffer) => {
        this.diagnostics += d.toString();
        if (this.diagnostics === 'ready\n') {
          this.diagnostics = '';
          done();
          fd3.on('data', (more: Buffer) => (this.diagnostics += more.toString()));
          resolve();
        } else if (!'ready\n'.startsWith(this.diagnostics)) {
          fail(new JailSetupError(this.diagnostics.trim()));
        }
      };
      fd3.on('data', onData);
      this.child.once('error', fail);
      this.child.once('exit', onExit);
    });
  }

  /** Runs the program; a jail runs one program, once. discard() must follow. */
  async run(run: JailRun): Promise<JailResult> {
    if (this.state !== 'ready') throw new Error(`jail ${this.phaseName} was already used`);
    this.state = 'running';
    const { limits } = run;
    try {
      await this.cgroup?.setLimits({ memoryBytes: limits.memoryBytes, pids: limits.processes });
      this.collector = new OutputCollector(limits.outputBytes, run.onOutput);
      const cpuSeconds = Math.max(1, Math.ceil(limits.cpuMs / 1000));
      const gate = [
        // soft limit sends SIGXCPU, the hard one a second later SIGKILL
        `RB_CPU=${shellQuote(`${cpuSeconds}:${cpuSeconds + 1}`)}`,
        `RB_NPROC=${shellQuote(String(limits.processes))}`,
        `RB_FSIZE=${shellQuote(String(limits.fileSizeBytes))}`,
        `RB_NOFILE=${shellQuote(String(limits.openFiles))}`,
        `set -- ${run.command.map(shellQuote).join(' ')}`,
        'RB_GO=1',
      ].join('\n');
      await writeFile(gateFile(this.mountsFile), gate + '\n', { mode: 0o600 });
      const started = performance.now();
      (this.child.stdio[4] as Writable).end('go\n');
      this.child.stdin!.end(run.stdin);
      const wallTimer = setTimeout(() => this.kill('timeout'), limits.wallMs);
      const onAbort = () => this.kill('aborted');
      if (run.signal?.aborted) onAbort();
      run.signal?.addEventListener('abort', onAbort, { once: true });
      await this.closed;
      clearTimeout(wallTimer);
      run.signal?.removeEventListener('abort', onAbort);
      this.collector.finish();
      if (this.diagnostics) throw new JailSetupError(this.diagnostics.trim());
      const info = this.exitInfo ?? { code: null, signal: null, at: performance.now() };
      const usage = (await this.cgroup?.usage()) ?? { cpuMs: null, peakMemoryKb: null, oomKilled: false };
      return {
        end: this.end,
        ...decodeStatus(info.code, info.signal),
        wallMs: Math.round(info.at - started),
        cpuMs: usage.cpuMs,
        memoryKb: usage.peakMemoryKb,
        oomKilled: usage.oomKilled,
        stdout: this.collector.stdout,
        stderr: this.collector.stderr,
        output: this.collector.output,
        truncated: this.collector.truncated,
      };
    } catch (err) {
      await this.release();
      throw err;
    }
    // the cgroup and files are removed by discard(), after the result has gone out
  }

  /** Frees what the jail holds, killing it if it never ran. Call once its result is out. */
  async discard(): Promise<void> {
    await this.release();
  }

  private async release(): Promise<void> {
    if (this.state === 'done') return;
    this.state = 'done';
    this.kill(); // by now the jail has ended; this only covers an error on the way
    await this.closed;
    await Promise.all([this.cgroup?.destroy(), rm(this.mountsFile, { force: true }), rm(gateFile(this.mountsFile), { force: true })]);
  }

  private output(stream: 'stdout' | 'stderr', data: Buffer): void {
    if (!this.collector) {
      this.diagnostics += data.toString(); // before the gate only setup tools write
      return;
    }
    if (!this.collector.push(stream, data)) this.kill('output_limit');
  }

  private kill(reason?: JailEnd): void {
    if (reason && this.end === 'exit' && this.exitInfo === null) this.end = reason;
    try {
      process.kill(-this.child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
