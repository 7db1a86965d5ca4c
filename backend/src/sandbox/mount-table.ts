import { statSync } from 'node:fs';
import path from 'node:path';

/**
 * The jail's mounts as one fstab, applied with a single `mount -a -T`: one exec instead of
 * one per mount (about 2 ms each) on every run.
 */

export interface MountTableInput {
  home: string;
  hiddenPaths: readonly string[];
  ownNetwork: boolean;
  tmpBytes: number;
}

/** Shared, world-writable places: each run gets its own empty copy. */
const PRIVATE_DIRS = ['/tmp', '/var/tmp', '/dev/shm', '/run/lock'];
/** Inside the private /tmp: where the run's home waits while the homes root is covered. */
const HOME_STAGING = '/tmp/.runbox-home';

// fstab fields are space-separated; libmount reads octal escapes in paths
const field = (p: string) => p.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
const entry = (source: string, target: string, type: string, options: string) => `${field(source)} ${field(target)} ${type} ${options} 0 0`;

const isDir = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};
const existingDirs = new Map<string, boolean>();
const dirExists = (p: string) => {
  if (!existingDirs.has(p)) existingDirs.set(p, isDir(p));
  return existingDirs.get(p)!;
};

const isInside = (child: string, parent: string) => child === parent || child.startsWith(parent.endsWith('/') ? parent : `${parent}/`);

export function mountTable(input: MountTableInput): string {
  const homeRoot = path.dirname(input.home);
  // Hidden paths first, while they are still where the host has them (an app checked out
  // under /tmp would be gone once the private /tmp is mounted). A path that holds the homes
  // cannot be covered: the run's own home must stay reachable.
  const hidden = input.hiddenPaths.filter((p) => dirExists(p) && !isInside(homeRoot, p));
  const lines = hidden.map((p) => entry('runbox-hidden', p, 'tmpfs', 'ro,nosuid,nodev,noexec,size=4k,mode=0'));
  lines.push(...PRIVATE_DIRS.filter(dirExists).map((d) => entry('runbox-tmp', d, 'tmpfs', `nosuid,nodev,size=${input.tmpBytes},mode=1777`)));
  // a sysfs of the run's own network namespace: the host's interfaces (and cgroup tree) vanish
  if (input.ownNetwork) lines.push(entry('runbox-sys', '/sys', 'sysfs', 'ro,nosuid,nodev,noexec'));
  // Other runs' homes are in this mount tree too (and a run may chmod its own home open):
  // cover the homes root with an empty tmpfs and bind only this run's home back into it.
  lines.push(
    entry(input.home, HOME_STAGING, 'none', 'bind,X-mount.mkdir=0700'),
    entry('runbox-homes', homeRoot, 'tmpfs', 'nosuid,nodev,size=64k,mode=0755'),
    entry(HOME_STAGING, input.home, 'none', 'bind,X-mount.mkdir=0700'),
    entry('runbox-hidden', HOME_STAGING, 'tmpfs', 'ro,nosuid,nodev,noexec,size=4k,mode=0'),
  );
  return lines.join('\n') + '\n';
}
