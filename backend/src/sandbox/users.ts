import { readFile } from 'node:fs/promises';

/**
 * Single-use Linux users: their names, and reading them back from /etc/passwd. They are
 * made and removed in batches by accounts.ts.
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

export async function listRunUsers(instance = ''): Promise<PasswdEntry[]> {
  return (await readPasswd()).filter((e) => isRunUserName(e.name, instance));
}
