import type { Config } from '../../config.js';
import { fileNameProblem, fileNamesClash, MAX_FILES } from '../../file-names.js';
import type { LanguageSpec } from '../../languages/registry.js';
import { singleFileProgram, type Program } from '../../runs/program.js';
import { HttpError } from '../errors.js';
import { programOf } from '../validate.js';
import { PistonError, type PistonFile } from './protocol.js';

/**
 * Piston's `files[]` as runbox's program: the one place that decides what a Piston request's
 * files become. Piston writes every file into the job's directory and runs the first one.
 * One file: it is the program, under the name runbox gives the language's source (Piston
 * clients rarely name it, or name it anything). Several: each is written under its own
 * name, the first is the entry (runbox's `files`, with the same name rules); an unnamed
 * first file gets the language's name. runbox keeps a program's files as text, so several
 * files must all be utf8 (Piston also takes base64 and hex data files).
 */

const ENCODINGS = ['utf8', 'base64', 'hex'];

/** Piston reads an encoding it does not know as utf8. */
const encodingOf = (file: PistonFile) => (file.encoding !== undefined && ENCODINGS.includes(file.encoding) ? file.encoding : 'utf8');

export function pistonProgram(files: readonly PistonFile[], language: LanguageSpec, config: Config): Program {
  const main = files.find((f) => encodingOf(f) === 'utf8');
  if (!main) throw new PistonError('files must include at least one utf8 encoded file');
  if (files.length === 1) return singleFileProgram(language, main.content);
  if (files.length > MAX_FILES) throw new PistonError(`files must have at most ${MAX_FILES} entries`);
  const named = files.map((file, i) => {
    if (encodingOf(file) !== 'utf8') throw new PistonError(`files[${i}] must be utf8: runbox takes a program of several files as text only`);
    const name = file.name ?? (i === 0 ? language.sourceFile(file.content) : undefined);
    if (name === undefined) throw new PistonError(`files[${i}].name is required when several files are sent`);
    const problem = fileNameProblem(name);
    if (problem) throw new PistonError(`files[${i}].name ${problem}`);
    return { name, content: file.content };
  });
  const clash = fileNamesClash(named.map((f) => f.name));
  if (clash) throw new PistonError(`files[${clash.index}].name ${clash.message}`);
  try {
    return programOf(config, language, { files: named });
  } catch (err) {
    if (err instanceof HttpError) throw new PistonError(err.body.message ?? err.body.error, err.status);
    throw err;
  }
}
