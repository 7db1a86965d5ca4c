import { createHash } from 'node:crypto';
import { constants, readFileSync } from 'node:fs';
import { lstat, mkdir, open, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CompileResult } from '../protocol.js';
import { partsInside } from '../util/fs.js';
import type { RunFile } from './program.js';

/**
 * Build artifacts of earlier compiles, so a rerun of unchanged code skips the compiler.
 * Keyed by a hash of language, toolchain version, compile command and every file of the program; bounded on
 * disk, least recently used out first. The cache directory is root's alone: runs only
 * ever get private copies written into their own home.
 */

export interface Artifact {
  /** Relative to the home; may have directories (`com/example/Main.class`). */
  name: string;
  mode: number;
  data: Buffer;
}

/** An artifact as the cache keeps it: a file to copy (the kernel copies it; no buffer in the server). */
export interface StoredArtifact {
  name: string;
  mode: number;
  file: string;
}

export interface CachedBuild {
  artifacts: (Artifact | StoredArtifact)[];
  compile: Pick<CompileResult, 'status' | 'output' | 'exitCode' | 'timeMs'>;
}

/** A build found in the cache: its files stay (eviction passes it by) until release(). */
export interface StoredBuild extends CachedBuild {
  artifacts: StoredArtifact[];
  release(): void;
}

interface Entry {
  bytes: number;
  usedAt: number;
  /** Runs copying this entry's files right now. */
  pins: number;
}

const META = 'meta.json';
const FILES = 'files';
/**
 * Part of every key; changed when what a build's artifacts hold changes, so entries of an
 * older layout are never restored. 2: files in subdirectories (Java packages) are kept.
 */
const LAYOUT = '2';

export function compileCacheKey(parts: { language: string; toolchain: string | null; command: readonly string[]; files: readonly RunFile<string | Buffer>[] }): string {
  const hash = createHash('sha256');
  // each part length-prefixed: no two different lists of files hash the same bytes
  const files = parts.files.flatMap((f) => [f.name, f.content]);
  for (const part of [LAYOUT, parts.language, parts.toolchain ?? '', JSON.stringify(parts.command), String(parts.files.length), ...files]) {
    hash.update(String(Buffer.byteLength(part))).update(':').update(part);
  }
  return hash.digest('hex');
}

export class CompileCache {
  private readonly entries = new Map<string, Entry>();
  /** Builds being stored: a run of the same code that comes meanwhile waits for its entry. */
  private readonly writing = new Map<string, Promise<void>>();
  private totalBytes = 0;

  private constructor(
    private readonly dir: string,
    private readonly maxBytes: number,
  ) {}

  /** Opens the cache directory, indexing what an earlier server left in it. */
  static async open(dir: string, maxBytes: number): Promise<CompileCache> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const cache = new CompileCache(dir, maxBytes);
    for (const name of await readdir(dir)) {
      const entryDir = path.join(dir, name);
      if (!/^[0-9a-f]{64}$/.test(name)) {
        await rm(entryDir, { recursive: true, force: true }); // an interrupted write
        continue;
      }
      try {
        const meta = JSON.parse(await readFile(path.join(entryDir, META), 'utf8')) as { bytes: number };
        const { mtimeMs } = await stat(path.join(entryDir, META));
        cache.remember(name, { bytes: meta.bytes, usedAt: mtimeMs, pins: 0 });
      } catch {
        await rm(entryDir, { recursive: true, force: true });
      }
    }
    await cache.evict();
    return cache;
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.totalBytes };
  }

  /**
   * The build stored under `key`, its files named, not read: a Go or Rust binary of a few
   * MB read into a buffer and written out again cost a millisecond or two and, every few
   * runs, a major GC. The caller copies them and then calls release().
   */
  async get(key: string): Promise<StoredBuild | null> {
    // a repeat that comes back before its first build is stored (the answer goes out first)
    await this.writing.get(key);
    const entry = this.entries.get(key);
    if (!entry) return null;
    const entryDir = path.join(this.dir, key);
    try {
      const meta = JSON.parse(readFileSync(path.join(entryDir, META), 'utf8')) as { compile: CachedBuild['compile']; files: { name: string; mode: number }[] };
      const artifacts = meta.files.map((f) => ({ ...f, file: storedPath(entryDir, f.name) }));
      entry.usedAt = Date.now();
      void utimes(path.join(entryDir, META), new Date(), new Date()).catch(() => undefined);
      entry.pins++;
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        entry.pins--;
      };
      return { artifacts, compile: meta.compile, release };
    } catch {
      this.forget(key); // evicted under our feet or damaged: a miss
      return null;
    }
  }

  put(key: string, build: { artifacts: Artifact[]; compile: CachedBuild['compile'] }): Promise<void> {
    if (this.entries.has(key)) return Promise.resolve();
    const pending = this.writing.get(key);
    if (pending) return pending;
    const written = this.write(key, build).finally(() => this.writing.delete(key));
    this.writing.set(key, written);
    return written;
  }

  private async write(key: string, build: { artifacts: Artifact[]; compile: CachedBuild['compile'] }): Promise<void> {
    const bytes = build.artifacts.reduce((n, a) => n + a.data.length, 0);
    if (bytes > this.maxBytes) return;
    // written under a temporary name, then renamed: readers see a whole entry or none
    const tmp = path.join(this.dir, `tmp-${key}-${process.pid}-${Date.now()}`);
    try {
      await mkdir(path.join(tmp, FILES), { recursive: true, mode: 0o700 });
      for (const a of build.artifacts) {
        const stored = storedPath(tmp, a.name);
        await mkdir(path.dirname(stored), { recursive: true, mode: 0o700 });
        await writeFile(stored, a.data, { mode: 0o600 });
      }
      const files = build.artifacts.map((a) => ({ name: a.name, mode: a.mode }));
      await writeFile(path.join(tmp, META), JSON.stringify({ bytes, compile: build.compile, files }), { mode: 0o600 });
      await rename(tmp, path.join(this.dir, key));
      this.remember(key, { bytes, usedAt: Date.now(), pins: 0 });
      await this.evict();
    } catch {
      await rm(tmp, { recursive: true, force: true }); // another run cached it first: fine
    }
  }

  private remember(key: string, entry: Entry): void {
    this.entries.set(key, entry);
    this.totalBytes += entry.bytes;
  }

  private forget(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.totalBytes -= entry.bytes;
  }

  private async evict(): Promise<void> {
    if (this.totalBytes <= this.maxBytes) return;
    const oldestFirst = [...this.entries.entries()].sort((a, b) => a[1].usedAt - b[1].usedAt);
    for (const [key, entry] of oldestFirst) {
      if (this.totalBytes <= this.maxBytes) break;
      if (entry.pins > 0) continue; // being copied into a run's home: the next eviction takes it
      this.forget(key);
      await rm(path.join(this.dir, key), { recursive: true, force: true });
    }
  }
}

/** Where an entry keeps an artifact; a name that could leave the entry is refused. */
function storedPath(entryDir: string, name: string): string {
  const parts = partsInside(name);
  if (!parts) throw new Error(`artifact name leaves the cache entry: ${JSON.stringify(name)}`);
  return path.join(entryDir, FILES, ...parts);
}

/**
 * Reads what a compile left in the home, before anything else runs as the user (the
 * compiler's processes died with its jail): regular files, in the home and in directories
 * below it (javac's com/example/ for a package). The program's own files are left out as
 * long as they are as given (a restored build is written next to them); one the compile
 * overwrote (a data file named like the binary) is the build's. Symlinks and other special
 * files are skipped, never followed. Null when it all exceeds `maxBytes`, or a file changed
 * while being read.
 */
export async function collectArtifacts(
  home: string,
  programFiles: readonly RunFile<string | Buffer>[],
  maxBytes: number,
  skipDirs: readonly string[] = [],
): Promise<Artifact[] | null> {
  const own = new Map(programFiles.map((f) => [f.name, Buffer.from(f.content)]));
  const artifacts: Artifact[] = [];
  let total = 0;
  const dirsToRead = ['']; // relative to the home
  while (dirsToRead.length > 0) {
    const dir = dirsToRead.pop()!;
    for (const entry of await readdir(path.join(home, dir))) {
      const name = dir ? `${dir}/${entry}` : entry;
      const full = path.join(home, name);
      const info = await lstat(full);
      if (info.isDirectory() && !skipDirs.includes(name)) dirsToRead.push(name);
      if (!info.isFile()) continue;
      const given = own.get(name);
      const maybeOwn = given !== undefined && given.length === info.size;
      if (!maybeOwn) {
        total += info.size;
        if (total > maxBytes) return null;
      }
      const handle = await open(full, constants.O_RDONLY | constants.O_NOFOLLOW);
      let data: Buffer;
      try {
        data = await handle.readFile();
      } finally {
        await handle.close();
      }
      if (data.length !== info.size) return null;
      if (maybeOwn) {
        if (data.equals(given)) continue;
        total += info.size;
        if (total > maxBytes) return null;
      }
      artifacts.push({ name, mode: info.mode & 0o777, data });
    }
  }
  return artifacts;
}
