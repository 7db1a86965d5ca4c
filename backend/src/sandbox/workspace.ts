import { closeSync, constants, copyFileSync, fchmodSync, fchownSync, fstatSync, lchownSync, lstatSync, mkdirSync, openSync, readdirSync, readSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { partsInside } from '../util/fs.js';
import type { RunUser } from './users.js';

/**
 * A run's home is a size-capped tmpfs (made with the user, accounts.ts): the cap stops
 * disk-fill attacks, unmounting frees everything the run wrote at once, and the server
 * never walks a tree the run could have filled with symlinks.
 *
 * Synchronous on purpose: a run's files are a few small writes to a tmpfs, done in
 * microseconds, where a promise per call (open, write, chown, chmod, close) cost a
 * thread-pool round trip each on every run.
 */

/**
 * Writes one file into the home as root, then hands it to the user. `name` may be a path
 * below the home (a build's `com/example/Main.class`); its directories are made the same
 * way. O_EXCL|O_NOFOLLOW: never through a symlink or over a file someone else put there.
 */
export function writeWorkspaceFile(user: RunUser, name: string, content: string | Buffer, mode = 0o600): void {
  const parts = partsInside(name);
  if (!parts) throw new Error(`refusing to write outside the workspace: ${JSON.stringify(name)}`);
  makeWorkspaceDirs(user, parts.slice(0, -1));
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const fd = openSync(path.join(user.home, ...parts), flags, 0o600);
  try {
    const data = typeof content === 'string' ? Buffer.from(content) : content;
    for (let written = 0; written < data.length; ) written += writeSync(fd, data, written);
    fchownSync(fd, user.uid, user.gid);
    fchmodSync(fd, mode & 0o700); // owner bits only: an executable stays executable
  } finally {
    closeSync(fd);
  }
}

/**
 * Copies a root-only file (a cached build's binary) into the home, kernel to kernel, then
 * hands it to the user. COPYFILE_EXCL creates the target (O_EXCL: never through a symlink);
 * it is reopened O_NOFOLLOW to change its owner and mode.
 */
export function copyWorkspaceFile(user: RunUser, name: string, from: string, mode = 0o600): void {
  const parts = partsInside(name);
  if (!parts) throw new Error(`refusing to write outside the workspace: ${JSON.stringify(name)}`);
  makeWorkspaceDirs(user, parts.slice(0, -1));
  copyOwnedFile(user, from, path.join(user.home, ...parts), mode);
}

/** `from` copied to `target` (which must not exist), then handed to the user. */
function copyOwnedFile(user: RunUser, from: string, target: string, mode: number): void {
  copyFileSync(from, target, constants.COPYFILE_EXCL);
  const fd = openSync(target, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    fchownSync(fd, user.uid, user.gid);
    fchmodSync(fd, mode & 0o700);
  } finally {
    closeSync(fd);
  }
}

/**
 * Copies a root-only tree (a prepared compiler cache: `dirs` parents first, then `files`,
 * relative to `from`) to `name` below the home, each directory and file the user's own. Each
 * run gets its own copy, so what one run does to it no other run sees. Made before anything
 * of the run has run: none of it may exist yet (mkdir and O_EXCL refuse what does).
 */
export function copyWorkspaceTree(user: RunUser, name: string, from: string, tree: { dirs: readonly string[]; files: readonly string[] }): void {
  makeWorkspaceDir(user, name);
  const parts = partsInside(name)!;
  const base = path.join(user.home, ...parts);
  for (const dir of tree.dirs) {
    const target = path.join(base, dir);
    mkdirSync(target, { mode: 0o700 });
    lchownSync(target, user.uid, user.gid);
  }
  for (const file of tree.files) copyOwnedFile(user, path.join(from, file), path.join(base, file), 0o600);
}

/** Makes a directory below the home (and its parents) for the user: a language's per-run cache. */
export function makeWorkspaceDir(user: RunUser, name: string): void {
  const parts = partsInside(name);
  if (!parts) throw new Error(`refusing to make a directory outside the workspace: ${JSON.stringify(name)}`);
  makeWorkspaceDirs(user, parts);
}

/**
 * Makes each directory of a path below the home as root and hands it to the user. One that
 * exists must be a real directory of the user's (made for an earlier file), never a symlink.
 */
function makeWorkspaceDirs(user: RunUser, dirs: readonly string[]): void {
  let dir = user.home;
  for (const part of dirs) {
    dir = path.join(dir, part);
    try {
      mkdirSync(dir, { mode: 0o700 });
      lchownSync(dir, user.uid, user.gid);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const info = lstatSync(dir);
    if (!info.isDirectory() || info.uid !== user.uid) throw new Error(`refusing to write through ${JSON.stringify(dir)}: not a directory of the run's`);
  }
}

/**
 * Removes a file written into the home earlier (a program's file a restored build replaces:
 * its compile overwrote it). Only a regular file: never through a symlink, never a folder.
 */
export function removeWorkspaceFile(user: RunUser, name: string): void {
  const parts = partsInside(name);
  if (!parts) throw new Error(`refusing to remove outside the workspace: ${JSON.stringify(name)}`);
  const file = path.join(user.home, ...parts);
  if (!lstatSync(file).isFile()) throw new Error(`refusing to remove ${JSON.stringify(name)}: not a regular file`);
  unlinkSync(file);
}

/**
 * The regular files directly in a directory of the home, each read up to `maxBytes`, as
 * text. The run wrote them: nothing is followed (O_NOFOLLOW, the directory checked with
 * lstat, only regular files read), so a symlink planted there reads nothing of the host.
 */
export function readWorkspaceFiles(user: RunUser, name: string, maxBytes: number): Record<string, string> {
  const parts = partsInside(name);
  if (!parts) throw new Error(`refusing to read outside the workspace: ${JSON.stringify(name)}`);
  const dir = path.join(user.home, ...parts);
  const files: Record<string, string> = {};
  const info = lstatSync(dir, { throwIfNoEntry: false });
  if (!info?.isDirectory()) return files;
  for (const entry of readdirSync(dir).slice(0, 64)) {
    let fd: number;
    try {
      fd = openSync(path.join(dir, entry), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch {
      continue; // a symlink (ELOOP), gone, or not readable
    }
    try {
      if (!fstatSync(fd).isFile()) continue;
      const buffer = Buffer.alloc(maxBytes);
      let read = 0;
      for (let n = -1; n !== 0 && read < maxBytes; read += n) n = readSync(fd, buffer, read, maxBytes - read, null);
      files[entry] = buffer.subarray(0, read).toString('utf8');
    } finally {
      closeSync(fd);
    }
  }
  return files;
}
