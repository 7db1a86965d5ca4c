/**
 * The names a program's files may have (`files: [{ name, content }]`). Each becomes a path
 * below the run's home and an argument of a compiler or runtime, so the rules are strict:
 * a relative path of plain parts, nothing a shell, a terminal or a command line would read
 * as something else. Zod-free: the playground checks a tab's new name with the same rules.
 */

/** Files in one program. */
export const MAX_FILES = 32;
/** Parts of one name: `com/example/util/Text.java` has 4. */
export const MAX_NAME_DEPTH = 8;
/** UTF-8 bytes of one whole name (below Linux's 255 for a single part). */
export const MAX_NAME_BYTES = 200;

const utf8 = new TextEncoder();

// control and format characters (bidi overrides, zero-width joiners), lone surrogates, line and paragraph separators
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

/** What is wrong with a file's name, or null when it may be used. */
export function fileNameProblem(name: string): string | null {
  if (name === '') return 'must not be empty';
  if (utf8.encode(name).length > MAX_NAME_BYTES) return `must be at most ${MAX_NAME_BYTES} bytes`;
  if (INVISIBLE.test(name)) return 'must not contain control or invisible characters (NUL, line breaks, bidi overrides, ...)';
  if (name.includes('\\')) return 'must use / between folders, never a backslash';
  if (name.startsWith('/')) return 'must be a relative path (no leading /)';
  const parts = name.split('/');
  if (parts.some((p) => p === '')) return 'must not have an empty part (// or a trailing /)';
  if (parts.some((p) => p === '.' || p === '..')) return 'must not have . or .. parts';
  if (parts.length > MAX_NAME_DEPTH) return `must be at most ${MAX_NAME_DEPTH} folders deep`;
  if (parts.some((p) => p.trim() !== p)) return 'must not have a part that begins or ends with a space';
  // a name is passed to compilers and runtimes as an argument: never an option or a javac @file
  if (name.startsWith('-') || name.startsWith('@')) return 'must not begin with - or @';
  return null;
}

/**
 * What is wrong with a set of names taken together: for the first name that clashes with an
 * earlier one, its index and why. Names differing only in case clash too: they are one file
 * on the case-insensitive disks many users download programs to (and javac's class lookup
 * there), so a program that needs both is a mistake. A name also clashes with a folder of
 * another (`util` and `util/a.py`).
 */
export function fileNamesClash(names: readonly string[]): { index: number; message: string } | null {
  const files = new Map<string, number>();
  const folders = new Map<string, number>();
  for (const [index, name] of names.entries()) {
    const key = name.toLowerCase();
    const earlier = files.get(key);
    if (earlier !== undefined) {
      const same = names[earlier] === name;
      return { index, message: same ? `repeats files[${earlier}].name` : `differs from files[${earlier}].name (${names[earlier]}) only in case` };
    }
    const folder = folders.get(key);
    if (folder !== undefined) return { index, message: `is a folder of files[${folder}].name (${names[folder]})` };
    const parts = key.split('/');
    for (let depth = 1; depth < parts.length; depth++) {
      const prefix = parts.slice(0, depth).join('/');
      const file = files.get(prefix);
      if (file !== undefined) return { index, message: `puts a file inside files[${file}].name (${names[file]}), which is a file` };
      if (!folders.has(prefix)) folders.set(prefix, index);
    }
    files.set(key, index);
  }
  return null;
}
