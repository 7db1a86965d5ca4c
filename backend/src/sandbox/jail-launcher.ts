import { spawn, type ChildProcess } from 'node:child_process';
import { constants, fstatSync, openSync } from 'node:fs';
import net from 'node:net';
import { constants as osConstants } from 'node:os';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

/**
 * Starts jails without forking the server. A fork copies the page tables of the process
 * that forks, and the server is a few hundred MB of them: a few ms of CPU per run, on the
 * event loop. `runbox-jail serve` (backend/native/runbox-jail.c), a small process kept
 * beside the server, forks each jail's bubblewrap instead, and keeps the server's ends of
 * the jail's five pipes open until the server has opened them for itself through
 * /proc/<helper>/fd/N. It reports each jail's end; if it dies, its jails die with it
 * (bwrap --die-with-parent), the runs in flight end as errors, and the next jail starts a
 * new helper.
 */

export interface JailSpawn {
  /** bwrap and its arguments. */
  argv: readonly string[];
  env: Readonly<Record<string, string>>;
  /** cgroup.procs files the jail joins before bwrap starts. */
  cgroupProcs: readonly string[];
  seccompFilter: string;
  /** Contents the jail gets as pipes on fds 6, 7... (bwrap's --file): no file on the host. */
  files: readonly string[];
}

export interface JailExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The launcher died and took the jail with it: the end says nothing about the program. */
  launcherDied?: boolean;
}

export interface JailProcess {
  readonly pid: number;
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** fd 3 of the jail: setup problems and the "ready" mark. */
  readonly status: Readable;
  /** fd 4 of the jail: the run description. */
  readonly control: Writable;
  /** Resolves when bwrap has ended (or its launcher died). */
  readonly exited: Promise<JailExit>;
  kill(): void;
}

export class JailLauncherError extends Error {}

const SIGNALS = Object.entries(osConstants.signals) as [NodeJS.Signals, number][];
const signalName = (n: number) => (SIGNALS.find(([, v]) => v === n)?.[0] ?? null) as NodeJS.Signals | null;

/** A raw wait status, as the helper reports it. */
function decodeWaitStatus(status: number): JailExit {
  const signal = status & 0x7f;
  return signal === 0 ? { code: (status >> 8) & 0xff, signal: null } : { code: null, signal: signalName(signal) ?? 'SIGKILL' };
}

const FIELD_OK = /^[^\t\n]*$/;

interface Pending {
  resolve: (p: JailProcess) => void;
  reject: (err: Error) => void;
}

export class JailLauncher {
  private child: ChildProcess | null = null;
  private nextId = 0;
  private readonly spawning = new Map<string, Pending>();
  private readonly running = new Map<string, (exit: JailExit) => void>();

  constructor(
    private readonly tool: string,
    /** the template's plan: the helper builds it at its start, and jails spawned with argv `@template ...` fork from it */
    private readonly template: readonly string[] | null = null,
  ) {}

  /** The same helper without the template: its jails are bubblewrap's (the fallback). */
  withoutTemplate(): JailLauncher {
    return new JailLauncher(this.tool, null);
  }

  spawn(request: JailSpawn): Promise<JailProcess> {
    const env = Object.entries(request.env).map(([k, v]) => `${k}=${v}`);
    const files = request.files.map((content) => Buffer.from(content).toString('hex'));
    const fields = [request.seccompFilter, String(request.cgroupProcs.length), ...request.cgroupProcs, String(env.length), ...env, String(files.length), ...files, ...request.argv];
    if (!fields.every((f) => FIELD_OK.test(f))) return Promise.reject(new JailLauncherError('a tab or newline in a jail argument'));
    const id = `j${++this.nextId}`;
    const helper = this.start();
    return new Promise<JailProcess>((resolve, reject) => {
      this.spawning.set(id, { resolve, reject });
      this.refresh();
      this.send(helper, ['spawn', id, ...fields]);
    });
  }

  /** Stops the helper: every jail it started is killed. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    await new Promise<void>((resolve) => {
      child.once('close', () => resolve());
      child.stdin!.end();
    });
  }

  private send(helper: ChildProcess, fields: readonly string[]): void {
    helper.stdin!.write(`${fields.join('\t')}\n`);
  }

  private start(): ChildProcess {
    if (this.child) return this.child;
    const child = spawn(this.tool, this.template ? ['serve', '--template', ...this.template] : ['serve'], { stdio: ['pipe', 'pipe', 'inherit'] });
    child.stdin!.on('error', () => undefined); // a dead helper is reported through 'exit'
    createInterface({ input: child.stdout! }).on('line', (line) => this.onLine(child, line));
    const gone = (reason: string) => {
      if (this.child !== child) return;
      this.child = null;
      const err = new JailLauncherError(`the jail launcher ${reason}`);
      for (const p of this.spawning.values()) p.reject(err);
      this.spawning.clear();
      // its jails died with it (--die-with-parent)
      for (const done of this.running.values()) done({ code: null, signal: 'SIGKILL', launcherDied: true });
      this.running.clear();
    };
    child.on('error', (err) => gone(`could not start: ${err.message}`));
    child.on('exit', (code, signal) => gone(`exited (${signal ?? code})`));
    this.child = child;
    this.refresh();
    return child;
  }

  /** The helper keeps the process alive only while a jail is starting or running. */
  private refresh(): void {
    const child = this.child;
    if (!child) return;
    const busy = this.spawning.size + this.running.size > 0;
    const handles = [child, child.stdin, child.stdout] as unknown as { ref(): void; unref(): void }[];
    for (const handle of handles) if (busy) handle.ref();
    else handle.unref();
  }

  private onLine(helper: ChildProcess, line: string): void {
    const [kind, id, ...rest] = line.split(' ');
    if (kind === 'exit') {
      const done = this.running.get(id!);
      this.running.delete(id!);
      done?.(decodeWaitStatus(Number(rest[0])));
    } else if (kind === 'ok' || kind === 'err') {
      const pending = this.spawning.get(id!);
      this.spawning.delete(id!);
      if (!pending) return;
      if (kind === 'err') pending.reject(new JailLauncherError(rest.join(' ')));
      else {
        try {
          pending.resolve(this.adopt(helper, id!, rest));
        } catch (err) {
          this.send(helper, ['kill', id!]);
          this.send(helper, ['release', id!]);
          pending.reject(new JailLauncherError(`cannot take over the jail's pipes: ${(err as Error).message}`));
        }
      }
    }
    this.refresh();
  }

  /** Opens our ends of the jail's pipes through the helper's fd table, then lets it close its own. */
  private adopt(helper: ChildProcess, id: string, [pidField, ...ends]: string[]): JailProcess {
    const pid = Number(pidField);
    const opened: net.Socket[] = [];
    // write ends are opened read-write: a write-only open fails (ENXIO) once a jail that
    // died at once has closed its read end, and its diagnostics would be lost with it
    const open = (end: string | undefined, write: boolean) => {
      const [fd, inode] = (end ?? '').split(':').map(Number);
      const own = openSync(`/proc/${helper.pid}/fd/${fd}`, (write ? constants.O_RDWR : constants.O_RDONLY) | constants.O_NONBLOCK); // libuv opens with O_CLOEXEC
      const socket = new net.Socket({ fd: own, readable: !write, writable: write });
      opened.push(socket);
      // the very pipe the helper named, not whatever holds that fd number now
      if (fstatSync(own).ino !== inode) throw new Error(`fd ${fd} is not the pipe the launcher made`);
      return socket;
    };
    let pipes: net.Socket[];
    try {
      pipes = [open(ends[0], true), open(ends[1], false), open(ends[2], false), open(ends[3], false), open(ends[4], true)];
    } catch (err) {
      for (const s of opened) s.destroy();
      throw err;
    }
    const [stdin, stdout, stderr, status, control] = pipes as [net.Socket, net.Socket, net.Socket, net.Socket, net.Socket];
    let exitedNow: (exit: JailExit) => void = () => undefined;
    const exited = new Promise<JailExit>((resolve) => (exitedNow = resolve));
    this.running.set(id, exitedNow);
    this.send(helper, ['release', id]);
    return {
      pid,
      stdin,
      stdout,
      stderr,
      status,
      control,
      exited,
      kill: () => {
        if (this.running.has(id) && this.child === helper) this.send(helper, ['kill', id]);
      },
    };
  }
}
