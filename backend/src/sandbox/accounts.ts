import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import pLimit from 'p-limit';
import { pathExists } from '../util/fs.js';
import { runUserName, type RunUser } from './users.js';

/**
 * Run users are born and die in batches: one command to runbox-accounts (backend/native/
 * accounts.c, kept running beside the server) adds a whole batch to passwd/shadow/group/
 * gshadow under shadow-utils' locks and mounts each one's home (a size-capped tmpfs), and
 * one removes a batch. Nothing is forked from the big server process for it: before, a run
 * cost useradd + mount + umount + userdel, each a fork of the server and ~40 ms of CPU.
 *
 * Removals are gathered for a moment (REMOVE_DELAY_MS) or until REMOVE_BATCH are waiting:
 * a busy server deletes several users per batch (one rewrite of the account files for all),
 * a quiet one deletes each within 150 ms.
 */

export interface AccountSettings {
  /** The runbox-accounts binary. */
  tool: string;
  homeRoot: string;
  workspaceMb: number;
  instance: string;
  uidMin: number;
  uidMax: number;
}

const REMOVE_DELAY_MS = 150;
const REMOVE_BATCH = 32;

interface PendingRemoval {
  name: string;
  done: (err?: Error) => void;
}

let nologinShell: Promise<string> | undefined;
function noLoginShell(): Promise<string> {
  nologinShell ??= (async () => {
    for (const candidate of ['/usr/sbin/nologin', '/sbin/nologin']) if (await pathExists(candidate)) return candidate;
    return '/bin/false';
  })();
  return nologinShell;
}

export class RunAccounts {
  /** Where the next batch starts looking for free uids: moves on, so a uid is not soon reused. */
  private nextUid: number;
  private readonly serial = pLimit(1);
  private pending: PendingRemoval[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  private readonly helper: AccountsHelper;

  constructor(private readonly settings: AccountSettings) {
    this.nextUid = settings.uidMin;
    this.helper = new AccountsHelper(settings.tool);
  }

  /** Makes one user per run id, each with an empty private home. */
  create(runIds: readonly string[]): Promise<RunUser[]> {
    return this.serial(async () => {
      const { settings } = this;
      const names = runIds.map((id) => runUserName(id, settings.instance));
      let answer: string;
      try {
        answer = await this.helper.call([
          'add',
          '--home-root', settings.homeRoot,
          '--size-mb', String(settings.workspaceMb),
          '--uid-min', String(settings.uidMin),
          '--uid-max', String(settings.uidMax),
          '--uid-from', String(this.nextUid),
          '--shell', await noLoginShell(),
          ...names,
        ]);
      } catch (err) {
        // a batch that failed halfway (a home that could not be mounted) is taken back whole
        await this.helper.call(['del', '--home-root', settings.homeRoot, ...names]).catch(() => undefined);
        throw new Error(`cannot create run users: ${(err as Error).message}`);
      }
      const fields = answer.split(' ');
      const users: RunUser[] = [];
      for (let i = 0; i + 2 < fields.length; i += 3) {
        const name = fields[i]!;
        users.push({ name, uid: Number(fields[i + 1]), gid: Number(fields[i + 2]), home: path.join(settings.homeRoot, name) });
      }
      if (users.length !== names.length || users.some((u, i) => u.name !== names[i] || !(u.uid > 0))) throw new Error(`runbox-accounts answered ${JSON.stringify(answer)}`);
      const highest = Math.max(...users.map((u) => u.uid));
      this.nextUid = highest >= settings.uidMax ? settings.uidMin : highest + 1;
      return users;
    });
  }

  /**
   * Unmounts the home and deletes the user and its group, in the next batch. Every process
   * of the user must be dead already.
   */
  remove(user: Pick<RunUser, 'name'>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ name: user.name, done: (err) => (err ? reject(err) : resolve()) });
      if (this.pending.length >= REMOVE_BATCH) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), REMOVE_DELAY_MS);
    });
  }

  /** Removes these names now (the start-up sweep; homes without users are fine too). */
  removeNow(names: readonly string[]): Promise<void> {
    if (names.length === 0) return Promise.resolve();
    return this.serial(async () => {
      for (let i = 0; i < names.length; i += REMOVE_BATCH) {
        await this.helper.call(['del', '--home-root', this.settings.homeRoot, ...names.slice(i, i + REMOVE_BATCH)]).catch((err: Error) => {
          throw new Error(`cannot remove run users: ${err.message}`);
        });
      }
    });
  }

  /** Resolves once every removal asked for so far is done. */
  async settled(): Promise<void> {
    if (this.pending.length > 0) this.flush();
    await this.flushing;
  }

  /** Lets the helper go (after settled()). */
  async close(): Promise<void> {
    await this.serial(() => this.helper.stop());
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending.splice(0);
    if (batch.length === 0) return;
    this.flushing = this.removeNow(batch.map((p) => p.name)).then(
      () => batch.forEach((p) => p.done()),
      (err: Error) => batch.forEach((p) => p.done(err)),
    );
  }
}

/**
 * The long-lived `runbox-accounts serve`: one command a line (tab-separated), one answer a
 * line. Started on first use; if it dies, the command in flight fails and the next one
 * starts a new helper.
 */
class AccountsHelper {
  private child: ChildProcess | null = null;
  private waiting: { resolve: (line: string) => void; reject: (err: Error) => void } | null = null;

  constructor(private readonly tool: string) {}

  /** Sends one command; resolves with what follows "ok", rejects with the "err" message. */
  call(fields: readonly string[]): Promise<string> {
    if (fields.some((f) => /[\t\n]/.test(f))) return Promise.reject(new Error('a tab or newline in an account command'));
    const child = this.start();
    const stdout = child.stdout as unknown as { ref(): void; unref(): void };
    stdout.ref(); // a command in flight keeps the process alive; an idle helper does not
    return new Promise<string>((resolve, reject) => {
      this.waiting = { resolve, reject };
      child.stdin!.write(`${fields.join('\t')}\n`);
    }).finally(() => stdout.unref()).then((line) => {
      if (line === 'ok' || line.startsWith('ok ')) return line.slice(3);
      throw new Error(line.replace(/^err /, ''));
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    await new Promise<void>((resolve) => {
      child.once('close', () => resolve());
      child.stdin!.end();
    });
  }

  private start(): ChildProcess {
    if (this.child) return this.child;
    const child = spawn(this.tool, ['serve'], { stdio: ['pipe', 'pipe', 'inherit'] });
    child.stdin!.on('error', () => undefined); // a dead helper is reported through 'exit'
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const w = this.waiting;
      this.waiting = null;
      w?.resolve(line);
    });
    const gone = (reason: string) => {
      if (this.child === child) this.child = null;
      const w = this.waiting;
      this.waiting = null;
      w?.reject(new Error(`runbox-accounts ${reason}`));
    };
    child.on('error', (err) => gone(`could not start: ${err.message}`));
    child.on('exit', (code, signal) => gone(`exited (${signal ?? code})`));
    // an idle helper does not keep the server process alive; it ends when our stdin closes
    child.unref();
    (child.stdin as unknown as { unref(): void }).unref();
    (child.stdout as unknown as { unref(): void }).unref();
    this.child = child;
    return child;
  }
}
