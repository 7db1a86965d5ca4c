import type { Config } from '../../config.js';
import { fileNameProblem, fileNamesClash, MAX_FILES } from '../../file-names.js';
import type { LanguageSpec } from '../../languages/registry.js';
import { singleFileProgram, type AnyProgram } from '../../runs/program.js';
import { HttpError } from '../errors.js';
import { programOf } from '../validate.js';
import { PistonError, type PistonFile } from './protocol.js';

/**
 * Piston's `files[]` as runbox's program: the one place that decides what a Piston request's
 * files become. As Piston's job.js does: every file is written into the job's directory,
 * decoded from its encoding (base64 and hex files are bytes); a file without a name (none,
 * or "", aiopyston's default) is `file<i>.code`, i its place in `files`; the first utf8 file
 * is the entry. One file: it is the program, under the name runbox gives the language's
 * source (Piston clients rarely name it, or name it anything). Several: the entry without a
 * name gets the language's name too, since runbox compiles and runs a source by its ending
 * (Piston's run scripts add the ending to file0.code themselves); names follow runbox's rules
 * for `files`.
 */
export function pistonProgram(files: readonly PistonFile[], language: LanguageSpec, config: Config): AnyProgram {
  const entryIndex = files.findIndex((f) => isText(f));
  if (entryIndex < 0) throw new PistonError('files must include at least one utf8 encoded file');
  if (files.length === 1) return singleFileProgram(language, files[0]!.content);
  if (files.length > MAX_FILES) throw new PistonError(`files must have at most ${MAX_FILES} entries`);
  const named = files.map((file, i) => {
    const name = file.name || (i === entryIndex ? language.sourceFile(file.content) : `file${i}.code`);
    const problem = fileNameProblem(name);
    if (problem) throw new PistonError(`files[${i}].name ${problem}`);
    return { name, content: contentOf(file), main: i === entryIndex };
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

/** utf8, also when the encoding is absent or null, as Piston reads it. */
const isText = (file: PistonFile) => (file.encoding ?? 'utf8') === 'utf8';

/** What is written: the text, or the bytes a base64 or hex content stands for (checked in protocol.ts). */
const contentOf = (file: PistonFile): string | Buffer => (file.encoding === 'base64' || file.encoding === 'hex' ? Buffer.from(file.content, file.encoding) : file.content);
