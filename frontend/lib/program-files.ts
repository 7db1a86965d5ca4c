/**
 * The playground's program as tabs: one file or several, the first tab the entry point.
 * Names follow the API's own rules (backend/src/file-names.ts, zod-free), so a name the
 * editor accepts is one the server accepts.
 */
import { fileNameProblem, fileNamesClash, MAX_FILES } from '../../backend/src/file-names.js';
import type { LanguageInfo, ProgramFile } from './api.js';

export { MAX_FILES };

export interface FileDraft {
  name: string;
  content: string;
}

/** The name a language's one-file program has: its editor's file (the server names `code` itself). */
export const defaultFileName = (language: LanguageInfo | undefined): string => language?.sourceFile ?? 'main.txt';

const extension = (name: string): string => /\.[^./]+$/.exec(name)?.[0] ?? '';

/**
 * A name for a new tab: file2.py, file3.py, ... in the language's own ending; capitalised
 * when the language's own file is (Main.java: a Java file is named after its class).
 */
export function newFileName(language: LanguageInfo | undefined, taken: readonly string[]): string {
  const own = defaultFileName(language);
  const ext = extension(own);
  const base = /^[A-Z]/.test(own) ? 'File' : 'file';
  const lower = new Set(taken.map((t) => t.toLowerCase()));
  for (let n = taken.length + 1; ; n++) {
    const name = `${base}${n}${ext}`;
    if (!lower.has(name.toLowerCase())) return name;
  }
}

/** Why a tab may not be named `name` next to the other tabs, or null when it may. */
export function renameProblem(name: string, others: readonly string[]): string | null {
  const problem = fileNameProblem(name);
  if (problem) return `The name ${problem}.`;
  const clash = fileNamesClash([...others, name]);
  if (clash && clash.index === others.length) return `The name ${clash.message.replace(/files\[\d+\]\.name /g, '')}.`;
  return null;
}

/**
 * Why the entry file (the one that runs) may not be named `name`: it must stay a source file
 * of its language (`extensions`, e.g. .py), else the server has nothing to run.
 */
export function entryNameProblem(name: string, extensions: readonly string[]): string | null {
  if (extensions.length === 0 || extensions.includes(extension(name))) return null;
  return `The entry file (the one that runs) must end in ${extensions.join(' or ')}. To keep notes in it, make another file the entry first (▸).`;
}

/** The language's source endings (.py; .ts, .mts, ...), which an entry file's name ends in. */
export const sourceExtensions = (language: LanguageInfo | undefined): string[] =>
  language ? (language.sourceExtensions ?? [extension(language.sourceFile)]).filter((e) => e !== '') : [];

/**
 * An API message in the page's words: a field of a file (files[0].name) is the file's own
 * name, as its tab shows it, and main: true is the tab's ▸.
 */
export function inFileNames(message: string, names: readonly string[]): string {
  return message
    .replace(/files\[(\d+)\]\.name \(([^)]*)\)/g, '$2')
    .replace(/files\[(\d+)\](?:\.(?:name|content))?/g, (field, i: string) => names[Number(i)] ?? field)
    .replace('(the first; mark another with main: true)', '(the first tab; make another file the entry with ▸)');
}

/**
 * What the API is given: a program of one tab with the language's own name is `code` (the
 * server names it, as Java's public class needs); anything else is `files`, in tab order.
 */
export function programFields(language: LanguageInfo | undefined, files: readonly FileDraft[]): { code: string } | { files: ProgramFile[] } {
  if (files.length === 1 && files[0]!.name === defaultFileName(language)) return { code: files[0]!.content };
  return { files: files.map(({ name, content }) => ({ name, content })) };
}

/**
 * A kept program (a snippet, a history entry) as tabs: its files with the entry first (the
 * one marked main, if it is not first already), or its one file of code.
 */
export function draftsOf(language: LanguageInfo | undefined, kept: { code: string; files?: ProgramFile[] }): FileDraft[] {
  if (!kept.files?.length) return [{ name: defaultFileName(language), content: kept.code }];
  const entry = Math.max(0, kept.files.findIndex((f) => f.main));
  const ordered = [kept.files[entry]!, ...kept.files.filter((_, i) => i !== entry)];
  return ordered.map(({ name, content }) => ({ name, content }));
}

const MONACO_BY_EXTENSION: Record<string, string> = {
  '.h': 'cpp',
  '.hpp': 'cpp',
  '.hh': 'cpp',
  '.json': 'json',
  '.md': 'markdown',
};

/**
 * Monaco's language for a tab, by the file's ending: a source file of the program's
 * language or of another language the server offers, a header, JSON, Markdown; else plain text.
 */
export function monacoLanguage(language: LanguageInfo, languages: readonly LanguageInfo[], name: string): string {
  const ext = extension(name);
  const owner = [language, ...languages].find((l) => (l.sourceExtensions ?? [extension(l.sourceFile)]).includes(ext));
  return owner?.monaco ?? MONACO_BY_EXTENSION[ext] ?? 'plaintext';
}
