import { constants } from 'node:fs';
import { lchown, lstat, mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { partsInside } from '../util/fs.js';
import type { RunUser } from './users.js';

/**
 * A run's home is a size-capped tmpfs (made with the user, accounts.ts): the cap stops
 * disk-fill attacks, unmounting frees everything the run wrote at once, and the server
 * never walks a tree the run could have filled with symlinks.
 */

/**
 * Writes one file into the home as root, then hands it to the user. `name` may be a path
 * below the home (a build's `com/example/Main.class`); its directories are made the same
 * way. O_EXCL|O_NOFOLLOW: never through a symlink or over a file someone else put there.
 */
export async function writeWorkspaceFile(user: RunUser, name: string, content: string | Buffer, mode = 0o600): Promise<void> {
  const parts = partsInside(name);
  if (!parts) throw new Error(`refusing to write outside the workspace: ${JSON.stringify(name)}`);
  await makeWorkspaceDirs(user, parts.slice(0, -1));
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const handle = await open(path.join(user.home, ...parts), flags, 0o600);
  try {
    await handle.writeFile(content);
    await handle.chown(user.uid, user.gid);
    await handle.chmod(mode & 0o700); // owner bits only: an executable stays executable
  } finally {
    await handle.close();
  }
}

/** Makes a directory below the home (and its parents) for the user: a language's per-run cache. */
export async function makeWorkspaceDir(user: RunUser, name: string): Promise<void> {
  const parts = partsInside(name);
  if (!parts) throw new Error(`refusing to make a directory outside the workspace: ${JSON.stringify(name)}`);
  await makeWorkspaceDirs(user, parts);
}

/**
 * Makes each directory of a path below the home as root and hands it to the user. One that
 * exists must be a real directory of the user's (made for an earlier file), never a symlink.
 */
async function makeWorkspaceDirs(user: RunUser, dirs: readonly string[]): Promise<void> {
  let dir = user.home;
  for (const part of dirs) {
    dir = path.join(dir, part);
    try {
      await mkdir(dir, { mode: 0o700 });
      await lchown(dir, user.uid, user.gid);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const info = await lstat(dir);
    if (!info.isDirectory() || info.uid !== user.uid) throw new Error(`refusing to write through ${JSON.stringify(dir)}: not a directory of the run's`);
  }
}
