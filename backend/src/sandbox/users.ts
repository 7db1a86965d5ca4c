import { readFile, unlink } from 'node:fs/promises';
import { execa } from 'execa';
import pLimit from 'p-limit';
import { pathExists } from '../util/fs.js';

/**
 * Single-use Linux users. useradd/userdel rewrite /etc/passwd, /etc/group and /etc/shadow
 * under a lock file and fail when another one holds it, so every call goes through one
 * queue.
 */

export const RUN_USER_PREFIX = 'exec_';
/** useradd rejects names over 32 characters: the prefix plus 24 hex digits (96 bits). */
const ID_HEX_DIGITS = 24;

export interface RunUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

const serialize = pLimit(1);

/**
 * `instance` (0-4 hex digits, RUNBOX_INSTANCE) tags the names of one server's users, so
 * that servers sharing a host each sweep only their own; its digits replace some of the id.
 */
export function runUserName(runId: string, instance = ''): string {
  const hex = runId.replace(/-/g, '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) throw new Error(`run id is not a UUID: ${runId}`);
  return RUN_USER_PREFIX + instance + hex.slice(0, ID_HEX_DIGITS - instance.length);
}

/** A run user's name; with an instance tag, one of that instance's run users. */
export function isRunUserName(name: string, instance = ''): boolean {
  return new RegExp(`^${RUN_USER_PREFIX}${instance}[0-9a-f]{1,${ID_HEX_DIGITS - instance.length}}$`).test(name);
}

let nologinShell: Promise<string> | undefined;
function noLoginShell(): Promise<string> {
  nologinShell ??= (async () => {
    for (const candidate of ['/usr/sbin/nologin', '/sbin/nologin']) if (await pathExists(candidate)) return candidate;
    return '/bin/false';
  })();
  return nologinShell;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export async function readPasswd(): Promise<PasswdEntry[]> {
  const text = await readFile('/etc/passwd', 'utf8');
  return text
    .split('\n')
    .map((line) => line.split(':'))
    .filter((f) => f.length >= 7)
    .map(([name, , uid, gid, , home]) => ({ name: name!, uid: Number(uid), gid: Number(gid), home: home! }));
}

/**
 * Creates the user: no password (locked), no login shell, a private primary group and
 * no other groups. The home directory is made by the workspace, not by useradd, so that
 * nothing from /etc/skel lands in it.
 */
export function createRunUser(name: string, home: string): Promise<RunUser> {
  return serialize(async () => {
    await execa('useradd', ['--no-create-home', '--user-group', '--home-dir', home, '--shell', await noLoginShell(), name]);
    const entry = (await readPasswd()).find((e) => e.name === name);
    if (!entry) throw new Error(`useradd succeeded but ${name} is not in /etc/passwd`);
    return { name, uid: entry.uid, gid: entry.gid, home };
  });
}

/** Deletes the user and its private group; its processes must already be dead. */
export function deleteRunUser(name: string): Promise<void> {
  return serialize(async () => {
    const result = await execa('userdel', [name], { reject: false });
    // 6: no such user (already gone) is fine: deletion is idempotent
    if (result.exitCode !== 0 && result.exitCode !== 6) {
      throw new Error(`userdel ${name} failed (${result.exitCode}): ${result.stderr}`);
    }
    // distributions that create mail spools by default would otherwise leak a file per run
    for (const spool of [`/var/mail/${name}`, `/var/spool/mail/${name}`]) {
      await unlink(spool).catch(() => undefined);
    }
  });
}

export async function listRunUsers(instance = ''): Promise<PasswdEntry[]> {
  return (await readPasswd()).filter((e) => isRunUserName(e.name, instance));
}
