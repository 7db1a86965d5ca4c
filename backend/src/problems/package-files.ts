import { readdirSync, readFileSync, statSync } from 'node:fs';
import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { PackageError } from './package-error.js';

/**
 * A problem package's files, read into memory from a folder or a zip: path (relative to
 * the package, `/`-separated) → bytes. The format's rules on names apply: a file or folder
 * whose name does not match them (`.git`, `.timelimit` aside) is as if it were not there.
 */
export interface PackageFiles {
  /** the package's short name: its folder's (or the zip's) base name */
  name: string;
  files: Map<string, Buffer>;
}

/** The format's valid names; anything else is ignored (the spec's words), `.timelimit` kept. */
const VALID_NAME = /^[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,254}$/;
const KEPT_DOTFILES = new Set(['.timelimit']);
/** Caps: a package is test data and code, not an archive of everything. */
export const PACKAGE_MAX_BYTES = 512 * 1024 * 1024;
export const PACKAGE_MAX_FILES = 20_000;

const validName = (name: string) => VALID_NAME.test(name) || KEPT_DOTFILES.has(name);

/** A folder or a .zip/.kpp file. */
export async function readPackage(location: string): Promise<PackageFiles> {
  const info = await stat(location).catch(() => null);
  if (!info) throw new PackageError(location, 'no such file or folder');
  if (info.isDirectory()) return readFolder(location);
  return readZip(await readFile(location), path.basename(location).replace(/\.(zip|kpp)$/i, ''));
}

async function readFolder(root: string): Promise<PackageFiles> {
  const files = new Map<string, Buffer>();
  const top = await realpath(root);
  let total = 0;
  const walk = async (dir: string, prefix: string): Promise<void> => {
    for (const entry of (await readdir(dir)).sort()) {
      if (!validName(entry)) continue;
      const full = path.join(dir, entry);
      const rel = prefix ? `${prefix}/${entry}` : entry;
      let info = await lstat(full);
      if (info.isSymbolicLink()) {
        // the format allows links inside the package; one pointing out of it is ignored
        const target = await realpath(full).catch(() => null);
        if (!target || (target !== top && !target.startsWith(top + path.sep))) continue;
        info = await stat(full);
      }
      if (info.isDirectory()) await walk(full, rel);
      else if (info.isFile()) {
        total += info.size;
        if (total > PACKAGE_MAX_BYTES) throw new PackageError(rel, `the package is over ${PACKAGE_MAX_BYTES / 1024 / 1024} MiB`);
        if (files.size >= PACKAGE_MAX_FILES) throw new PackageError(rel, `the package has over ${PACKAGE_MAX_FILES} files`);
        files.set(rel, await readFile(full));
      }
    }
  };
  await walk(top, '');
  return { name: path.basename(top), files };
}

/**
 * A zip of the package: its files at the top, or (as the format has it) in one folder
 * named after the package. Names that climb out (`..`) or are absolute make it invalid.
 */
export function readZip(zip: Buffer, fallbackName: string): PackageFiles {
  let declared = 0;
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(zip, {
      filter: (file) => {
        declared += file.originalSize;
        if (declared > PACKAGE_MAX_BYTES) throw new PackageError(file.name, `the package is over ${PACKAGE_MAX_BYTES / 1024 / 1024} MiB unpacked`);
        return !file.name.endsWith('/');
      },
    });
  } catch (err) {
    if (err instanceof PackageError) throw err;
    throw new PackageError(`${fallbackName}.zip`, `not a readable zip: ${(err as Error).message}`);
  }
  const names = Object.keys(entries);
  if (names.length > PACKAGE_MAX_FILES) throw new PackageError(`${fallbackName}.zip`, `the package has over ${PACKAGE_MAX_FILES} files`);
  for (const name of names) {
    if (name.startsWith('/') || name.split('/').includes('..')) throw new PackageError(name, 'a zip entry may not leave the package');
  }
  // one folder holding everything, and no problem.yaml beside it: that folder is the package
  const tops = new Set(names.map((n) => n.split('/')[0]!));
  const [only] = tops;
  const nested = tops.size === 1 && names.every((n) => n.includes('/')) && only !== undefined;
  const files = new Map<string, Buffer>();
  for (const [name, data] of Object.entries(entries)) {
    const rel = nested ? name.slice(only!.length + 1) : name;
    if (!rel || !rel.split('/').every(validName)) continue;
    files.set(rel, Buffer.from(data));
  }
  return { name: nested ? only! : fallbackName, files };
}

/** The files below `dir/` (relative to it), in name order. */
export function filesUnder(pkg: PackageFiles, dir: string): [string, Buffer][] {
  const prefix = `${dir}/`;
  return [...pkg.files.entries()].filter(([name]) => name.startsWith(prefix)).map(([name, data]): [string, Buffer] => [name.slice(prefix.length), data]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A text file of the package as the format requires (UTF-8, no BOM). */
export function textOf(file: string, data: Buffer): string {
  const text = data.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) throw new PackageError(file, 'starts with a byte-order mark (the format asks for UTF-8 without one)');
  return text;
}

/** A package folder of runbox's own (the bundled problems): read at once, for the schema's seed step. */
export function readOwnPackageSync(root: string): PackageFiles {
  const files = new Map<string, Buffer>();
  const walk = (dir: string, prefix: string) => {
    for (const entry of readdirSync(dir).sort()) {
      if (!validName(entry)) continue;
      const full = path.join(dir, entry);
      const rel = prefix ? `${prefix}/${entry}` : entry;
      if (statSync(full).isDirectory()) walk(full, rel);
      else files.set(rel, readFileSync(full));
    }
  };
  walk(root, '');
  return { name: path.basename(root), files };
}
