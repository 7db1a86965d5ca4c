import type { LanguageSpec } from '../../languages/registry.js';
import { PistonError, type PistonFile } from './protocol.js';

/**
 * Piston's `files[]` as runbox's program: the one place that decides what a Piston request's
 * files become. Piston writes every file into the job's directory and runs the first one
 * in UTF-8 (files in base64 or hex are data beside it). runbox runs one source file per
 * program today, so the first UTF-8 file is the program and any other file is refused,
 * saying so. When runbox takes several files, this function hands them all over.
 */
export interface PistonProgram {
  /** The source runbox compiles or runs. */
  code: string;
}

const ENCODINGS = ['utf8', 'base64', 'hex'];

/** Piston reads an encoding it does not know as utf8. */
const encodingOf = (file: PistonFile) => (file.encoding !== undefined && ENCODINGS.includes(file.encoding) ? file.encoding : 'utf8');

export function pistonProgram(files: readonly PistonFile[], language: LanguageSpec): PistonProgram {
  const main = files.find((f) => encodingOf(f) === 'utf8');
  if (!main) throw new PistonError('files must include at least one utf8 encoded file');
  if (files.length > 1) {
    throw new PistonError(
      `files has ${files.length} entries, but runbox runs a ${language.id} program from one source file: send only the program (files[0]), other files are not supported yet`,
    );
  }
  return { code: main.content };
}
