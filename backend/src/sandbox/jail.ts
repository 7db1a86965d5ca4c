import { constants as osConstants } from 'node:os';
import type { Readable } from 'node:stream';
import { jailPrepared } from '../observability/metrics.js';
import type { CgroupDriver, PhaseCgroup } from './cgroups.js';
import { accountFiles, jailRootArgs, templateRunArgs, type JailRootPlan } from './jail-root.js';
import type { JailLauncher, JailProcess } from './jail-launcher.js';
import { watchCpu } from './cpu-watchdog.js';
import { OutputCollector, type OutputChunk } from './output.js';
import { TerminalInput } from './terminal-input.js';
import type { RunUser } from './users.js';

/**
 * Runs one command as a run user inside a jail, under rlimits, a syscall filter and a
 * cgroup, and reports how it ended. This is the only place that starts untrusted code.
 *
 * Process tree:  server -> runbox-jail enter (joins the cgroup, own process group) ->
 * bwrap (builds the allowlisted root and the namespaces, loads the syscall filter) ->
 * bwrap's init as pid 1 -> runbox-jail inside as pid 2 (parks at the gate, then stays
 * as the run's root supervisor) -> the program as pid 3 (rlimits, dropped to the run
 * user). The program is never pid 1: the kernel ignores signals a pid-1 process has no
 * handler for, which would make `kill -SEGV $$` or abort() behave unlike anywhere else.
 * When the program exits the supervisor kills everything left in the namespace, so
 * nothing the program started (setsid, double fork) outlives it; killing the process
 * group takes bwrap down and --die-with-parent takes the namespace with it.
 *
 * A jail is made in two steps so the expensive part can happen before a request needs it:
 * prepare() builds the namespaces and mounts and parks at a gate; run() hands it the
 * command and limits over a pipe, and only then does anything run as the user.
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
  /** bubblewrap per jail, or the launcher's template built once (RUNBOX_JAIL) */
  kind: 'bubblewrap' | 'template';
  /** RUNBOX_JAIL=template asked for, and why the template could not be built here (jails are bubblewrap's) */
  templateRefused?: string;
  network: boolean;
  /** The allowlisted root every jail is built from. */
  root: JailRootPlan;
  /** Root-only directory: the launcher's and the filter's copies, the staged /etc. */
  stateDir: string;
  /** Starts jails (a helper process beside the server). */
  launcher: JailLauncher;
  /** bwrap's absolute path, and the exported syscall filter. */
  bwrap: string;
  seccompFilter: string;
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
  /** Variables on top of the jail's environment (a language's own, known only with the run). */
  env?: Readonly<Record<string, string>>;
  /**
   * Input given in advance, text or bytes (the program sees a regular file, as after `< file`),
   * or a stream fed while the program runs (the program sees a pipe; ending the stream is EOF),
   * or a terminal's input (the program runs on a pseudo-terminal: its stdin, stdout and
   * stderr, everything it writes coming back as stdout).
   */
  stdin: string | Buffer | Readable | TerminalInput;
  limits: JailLimits;
  onOutput?: (chunk: OutputChunk) => void;
  /** The output's bytes as they came (up to the cap), for a caller that needs what text decoding loses. */
  onOutputBytes?: (stream: 'stdout' | 'stderr', data: Buffer) => void;
  /** Aborting kills the whole run (server shutdown). */
  signal?: AbortSignal;
}

/** How a run ended: by itself, or killed at its wall-clock limit, its CPU limit, its output cap, or aborted. */
export type JailEnd = 'exit' | 'timeout' | 'cpu_limit' | 'output_limit' | 'aborted';

export interface JailResult {
  end: JailEnd;
  exitCode: number | null;
  signal: string | null;
  wallMs: number;
  cpuMs: number | null;
  memoryKb: number | null;
  oomKilled: boolean;
  /** The pids cgroup refused a fork or thread: the program met the process limit. */
  processLimitHit: boolean;
  stdout: string;
  stderr: string;
  output: string;
  truncated: boolean;
}

export class JailSetupError extends Error {}

/** Sandbox tasks the cgroup counts besides the program's: bwrap's monitor, its init, the run's supervisor. */
export const JAIL_OVERHEAD_TASKS = 3;

// first name wins: SIGABRT, not its alias SIGIOT
const signalNames = new Map<number, string>();
for (const [name, num] of Object.entries(osConstants.signals)) if (!signalNames.has(num)) signalNames.set(num, name);

/**
 * How the program ended. The supervisor writes the program's raw wait status on fd 3
 * ("exit N"), which tells exit(137) from a SIGKILL; bwrap's own status (a signal as 128+N,
 * as a shell reports it) is the fallback when the jail ended before the supervisor could.
 */
function decodeStatus(waitStatus: number | null, code: number | null, signal: NodeJS.Signals | null): { exitCode: number | null; signal: string | null } {
  if (waitStatus !== null) {
    const sig = waitStatus & 0x7f;
    return sig === 0 ? { exitCode: (waitStatus >> 8) & 0xff, signal: null } : { exitCode: null, signal: signalNames.get(sig) ?? `SIG${sig}` };
  }
  if (signal) return { exitCode: null, signal };
  if (code !== null && code > 128 && signalNames.has(code - 128)) return { exitCode: null, signal: signalNames.get(code - 128)! };
  return { exitCode: code, signal: null };
}

/** The supervisor's last word on fd 3, split from anything else said there. */
function splitExitLine(diagnostics: string): { waitStatus: number | null; rest: string } {
  const m = /(?:^|\n)exit (\d+)\n$/.exec(diagnostics);
  return m ? { waitStatus: Number(m[1]), rest: diagnostics.slice(0, m.index) } : { waitStatus: null, rest: diagnostics };
}

/** The run's variables as the launcher reads them: a count, then NAME=value each. */
function envFields(env: Readonly<Record<string, string>>): string[] {
  const entries = Object.entries(env);
  for (const [name] of entries) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new JailSetupError(`bad variable name ${JSON.stringify(name)}`);
  return [String(entries.length), ...entries.map(([name, value]) => `${name}=${value}`)];
}

/** How the launcher gives the program its input: a file, a pipe, or a terminal of this size. */
function stdinMode(stdin: JailRun['stdin']): string {
  if (typeof stdin === 'string' || Buffer.isBuffer(stdin)) return 'file';
  if (stdin instanceof TerminalInput) return `tty:${stdin.size.cols}x${stdin.size.rows}`;
  return 'pipe';
}

const PREPARE_TIMEOUT_MS = 15000;

type ExitInfo = { code: number | null; signal: NodeJS.Signals | null; at: number };

export class Jail {
  private state: 'ready' | 'running' | 'done' = 'ready';
  private collector: OutputCollector | null = null;
  private end: JailEnd = 'exit';
  private diagnostics = '';
  private exitInfo: ExitInfo | null = null;
  private readonly closed: Promise<void>;

  private constructor(
    private readonly proc: JailProcess,
    private readonly cgroup: PhaseCgroup | null,
    readonly phaseName: string,
    private readonly user: RunUser,
  ) {
    proc.stdout.on('data', (d: Buffer) => this.output('stdout', d));
    proc.stderr.on('data', (d: Buffer) => this.output('stderr', d));
    proc.stdin.on('error', () => undefined); // EPIPE: the program did not read all its input
    proc.control.on('error', () => undefined);
    const outputs = [proc.stdout, proc.stderr, proc.status];
    for (const s of outputs) s.on('error', () => undefined);
    void proc.exited.then(({ code, signal, launcherDied }) => {
      if (launcherDied && this.end === 'exit') this.end = 'aborted';
      this.exitInfo = { code, signal, at: performance.now() };
      // every process in the namespace is dead now, so the pipes close at once; this only
      // guards against a holder outside it
      setTimeout(() => outputs.forEach((s) => s.destroy()), 1000).unref();
    });
    const ended = outputs.map((s) => new Promise<void>((resolve) => s.once('close', () => resolve())));
    this.closed = Promise.all([proc.exited, ...ended]).then(() => {
      proc.stdin.destroy();
      proc.control.destroy();
    });
  }

  /** Builds the namespaces, cgroup and mounts; resolves once the launcher waits at the gate. */
  static async prepare(setup: JailSetup): Promise<Jail> {
    const { user, isolation } = setup;
    const started = performance.now();
    const cgroup = setup.cgroups ? await setup.cgroups.create(setup.phaseName) : null;
    try {
      const accounts = accountFiles(user);
      const proc = await isolation.launcher.spawn({
        argv:
          isolation.kind === 'template'
            ? ['@template', ...templateRunArgs({ home: user.home, tmpBytes: setup.tmpBytes })]
            : [isolation.bwrap, ...jailRootArgs(isolation.root, { home: user.home, tmpBytes: setup.tmpBytes })],
        env: setup.env,
        cgroupProcs: cgroup?.procsFiles ?? [],
        seccompFilter: isolation.seccompFilter,
        files: [accounts.passwd, accounts.group], // fds 6 and 7: ACCOUNT_FDS
      });
      const jail = new Jail(proc, cgroup, setup.phaseName, user);
      await jail.waitReady();
      jailPrepared((performance.now() - started) / 1000);
      return jail;
    } catch (err) {
      await cgroup?.destroy();
      throw err instanceof JailSetupError ? err : new JailSetupError((err as Error).message);
    }
  }

  private waitReady(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const status = this.proc.status;
      let settled = false;
      const timer = setTimeout(() => fail(new JailSetupError('sandbox setup timed out')), PREPARE_TIMEOUT_MS);
      const done = () => {
        settled = true;
        clearTimeout(timer);
        status.off('data', onData);
      };
      const fail = (err: Error) => {
        if (settled) return;
        done();
        this.kill();
        reject(err);
      };
      const onData = (d: Buffer) => {
        this.diagnostics += d.toString();
        if (this.diagnostics === 'ready\n') {
          this.diagnostics = '';
          done();
          status.on('data', (more: Buffer) => (this.diagnostics += more.toString()));
          resolve();
        } else if (!'ready\n'.startsWith(this.diagnostics)) {
          fail(new JailSetupError(this.diagnostics.trim()));
        }
      };
      status.on('data', onData);
      // what bwrap says on stderr before the gate (a failed mount, say) is in the diagnostics
      void this.closed.then(() => fail(new JailSetupError(this.diagnostics.trim() || 'sandbox setup failed')));
    });
  }

  /** Whether the jail still waits at its gate (a pooled jail can die with its launcher). */
  get usable(): boolean {
    return this.state === 'ready' && this.exitInfo === null;
  }

  /** Runs the program; a jail runs one program, once. discard() must follow. */
  async run(run: JailRun): Promise<JailResult> {
    if (this.state !== 'ready') throw new Error(`jail ${this.phaseName} was already used`);
    if (this.exitInfo) throw new JailSetupError(`jail ${this.phaseName} ended before its run (${this.diagnostics.trim() || 'its launcher is gone'})`);
    this.state = 'running';
    const { limits } = run;
    try {
      const cgroupTasks = limits.processes + JAIL_OVERHEAD_TASKS;
      await this.cgroup?.setLimits({ memoryBytes: limits.memoryBytes, pids: cgroupTasks });
      this.collector = new OutputCollector(limits.outputBytes, run.onOutput, run.onOutputBytes);
      const cpuSeconds = Math.max(1, Math.ceil(limits.cpuMs / 1000));
      // With a cgroup, its pids cap is the one that refuses, and counts the refusals. The
      // rlimit counts a fork as it starts and the cgroup near its end, so with many forks in
      // flight the user's count runs up to twice the live tasks: the rlimit sits at twice
      // the cap, a backstop only. Without a cgroup the rlimit is the limit.
      const nproc = this.cgroup ? 2 * cgroupTasks : limits.processes;
      const fields = [
        'runbox1',
        // soft limit sends SIGXCPU, the hard one a second later SIGKILL
        String(cpuSeconds),
        String(cpuSeconds + 1),
        String(nproc),
        String(limits.fileSizeBytes),
        String(limits.openFiles),
        String(this.user.uid),
        String(this.user.gid),
        stdinMode(run.stdin),
        String(run.command.length),
        ...run.command,
        ...envFields(run.env ?? {}),
      ];
      if (fields.some((f) => f.includes('\0'))) throw new JailSetupError('a NUL byte in the command');
      const started = performance.now();
      this.proc.control.end(fields.map((f) => `${f}\0`).join(''));
      if (typeof run.stdin === 'string' || Buffer.isBuffer(run.stdin)) this.proc.stdin.end(run.stdin);
      else if (run.stdin instanceof TerminalInput) run.stdin.stream.pipe(this.proc.stdin);
      else run.stdin.pipe(this.proc.stdin);
      const wallTimer = setTimeout(() => this.kill('timeout'), limits.wallMs);
      // the CPU limit of the whole run (all processes and threads); RLIMIT_CPU above is per process, in seconds
      const cgroup = this.cgroup;
      const cpuWatch = cgroup ? watchCpu(() => cgroup.cpuMsNow(), limits.cpuMs, () => this.kill('cpu_limit')) : null;
      const onAbort = () => this.kill('aborted');
      if (run.signal?.aborted) onAbort();
      run.signal?.addEventListener('abort', onAbort, { once: true });
      await this.closed;
      clearTimeout(wallTimer);
      cpuWatch?.stop();
      run.signal?.removeEventListener('abort', onAbort);
      // a jail of a thousand processes takes a moment to die, killed at a limit or after a
      // fork bomb's first process exited (bubblewrap returns with the run's supervisor while
      // its init still reaps the rest): the result waits for that, so nothing of the run
      // outlives it
      if (this.cgroup && (this.end !== 'exit' || !this.cgroup.isEmpty())) await this.cgroup.killAll();
      this.collector.finish();
      const { waitStatus, rest } = splitExitLine(this.diagnostics);
      if (rest) throw new JailSetupError(rest.trim());
      const info = this.exitInfo ?? { code: null, signal: null, at: performance.now() };
      const usage = (await this.cgroup?.usage()) ?? { cpuMs: null, peakMemoryKb: null, oomKilled: false, processLimitHit: false };
      return {
        end: this.end,
        ...decodeStatus(waitStatus, info.code, info.signal),
        wallMs: Math.round(info.at - started),
        cpuMs: usage.cpuMs,
        memoryKb: usage.peakMemoryKb,
        oomKilled: usage.oomKilled,
        processLimitHit: usage.processLimitHit,
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
    await this.cgroup?.destroy();
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
    this.proc.kill();
  }
}
