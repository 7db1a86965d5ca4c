import { constants } from 'node:fs';
import { lchown, lstat, mkdir, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { partsInside } from '../util/fs.js';
import type { RunUser } from './users.js';

/**
 * A run's home: a size-capped tmpfs mounted at the user's home directory. The cap stops
 * disk-fill attacks, unmounting frees everything the run wrote at once, and the server
 * never walks a tree the run could have filled with symlinks.
 */

export async function mountWorkspace(user: RunUser, sizeMb: number): Promise<void> {
  await mkdir(user.home, { mode: 0o700 }); // fails if it exists: never reuse someone's directory
  await execa('mount', [
    '-t', 'tmpfs',
    '-o', `size=${sizeMb}m,mode=0700,uid=${user.uid},gid=${user.gid},nosuid,nodev`,
    'runbox-home', user.home,
  ]);
}

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

async function isMountPoint(dir: string): Promise<boolean> {
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  return mountinfo.split('\n').some((line) => line.split(' ')[4] === dir);
}

/** Unmounts (repeatedly: mounts may be stacked) and removes the home directory. */
export async function removeWorkspace(home: string): Promise<void> {
  for (let i = 0; i < 5 && (await isMountPoint(home)); i++) {
    const result = await execa('umount', [home], { reject: false });
    if (result.exitCode !== 0) await execa('umount', ['-l', home], { reject: false });
  }
  if (await isMountPoint(home)) throw new Error(`could not unmount ${home}`);
  // Only reached with nothing mounted: the bare directory is empty unless mounting failed
  // halfway; rm never follows symlinks it meets.
  await rm(home, { recursive: true, force: true });
}
