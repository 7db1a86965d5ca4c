import type { LanguageSpec } from '../languages/registry.js';

/**
 * What a run runs: its files, written into the run's home under their names, and the one
 * that is the entry point (the file the runtime starts, or whose main class runs). A
 * request's `code` is a program of one file, named by the language's rule. Files are text;
 * only Piston's API also takes files as bytes (base64 or hex data beside the sources), so a
 * program with such files is a `Program<string | Buffer>`, and its entry is text all the same.
 */
export interface RunFile<C extends string | Buffer = string> {
  /** a path below the run's home, checked (file-names.ts) */
  name: string;
  content: C;
}

export type SourceFile = RunFile<string>;

export interface Program<C extends string | Buffer = string> {
  files: readonly RunFile<C>[];
  /** one of `files` */
  entry: SourceFile;
  /**
   * The files compiled ({sources}), when not every source file of the language: Judge0
   * compiles its `source_code` alone, its additional files are there to be included or read.
   */
  sources?: readonly string[];
}

/** Any program a run takes: its files text or bytes. */
export type AnyProgram = Program<string | Buffer>;

export function singleFileProgram(language: LanguageSpec, code: string): Program {
  const entry = { name: language.sourceFile(code), content: code };
  return { files: [entry], entry };
}

/** The files a compiler is given (the language's translation units), in the program's order. */
export function compiledSources(language: LanguageSpec, program: AnyProgram): string[] {
  if (program.sources) return [...program.sources];
  return program.files.filter((f) => language.sourceExtensions.some((ext) => f.name.endsWith(ext))).map((f) => f.name);
}

/** All of a program's bytes, for logs and caps. */
export const programBytes = (program: AnyProgram): number => program.files.reduce((n, f) => n + Buffer.byteLength(f.content), 0);
