import type { LanguageSpec } from '../../languages/registry.js';
import type { OfferedLanguages } from '../../languages/toolchains.js';

/**
 * Judge0's numeric language ids as runbox's languages. Judge0 clients hard-code these ids
 * (71 for Python, 54 for C++...), and the official Python SDK checks the id it picked
 * against GET /languages, so every id a client may have written for a language this server
 * runs is taken and listed: the ids of Judge0 CE 1.13.1 (db/languages/active.rb) and those
 * the hosted Judge0 CE added for newer toolchains (92 Python 3.11, 93 Node.js 18, 105 GCC
 * 14...; the SDK's table for 1.14.0). Several ids name one runbox language, which runs the
 * toolchain this server has: each id's name says that toolchain's version, not the one
 * Judge0 had under the id, so they share it. `canonical` is the id 1.13.1 gives the language,
 * under which a submission made on runbox's own API is shown.
 *
 * This table only renames: a language added to runbox's registry is not offered here until
 * an id is given to it (Judge0 has no id for runbox's own names).
 */
interface Judge0Name {
  /** runbox's language id */
  language: string;
  /** Judge0's name for it; `{version}` is the toolchain's (as /api/languages reports it) */
  name: string;
  /** the id Judge0 CE 1.13.1 gives it */
  canonical: number;
  /** every id that runs it (`canonical` among them) */
  ids: readonly number[];
}

const JUDGE0_NAMES: readonly Judge0Name[] = [
  { language: 'bash', name: 'Bash ({version})', canonical: 46, ids: [46] },
  { language: 'c', name: 'C (GCC {version})', canonical: 50, ids: [48, 49, 50, 103] },
  { language: 'cpp', name: 'C++ (GCC {version})', canonical: 54, ids: [52, 53, 54, 105] },
  { language: 'go', name: 'Go ({version})', canonical: 60, ids: [60, 95, 106, 107] },
  { language: 'java', name: 'Java (OpenJDK {version})', canonical: 62, ids: [62, 91] },
  { language: 'javascript', name: 'JavaScript (Node.js {version})', canonical: 63, ids: [63, 93, 97, 102] },
  { language: 'php', name: 'PHP ({version})', canonical: 68, ids: [68, 98] },
  { language: 'python', name: 'Python ({version})', canonical: 71, ids: [71, 92, 100, 109] },
  { language: 'ruby', name: 'Ruby ({version})', canonical: 72, ids: [72] },
  { language: 'rust', name: 'Rust ({version})', canonical: 73, ids: [73, 108] },
  { language: 'typescript', name: 'TypeScript ({version})', canonical: 74, ids: [74, 94, 101] },
];

/** One Judge0 language id this server runs. */
export interface Judge0Language {
  id: number;
  name: string;
  /** the id Judge0 CE 1.13.1 gives the language (one per runbox language) */
  canonical: boolean;
  spec: LanguageSpec;
  /** Judge0's /languages/{id} fields: runbox's file name and commands, as a shell would show them */
  sourceFile: string;
  compileCmd: string | null;
  runCmd: string;
}

/** The Judge0 ids of the languages this server offers, by id (in id order). */
export function judge0Languages(languages: OfferedLanguages, memoryMb: number): Map<number, Judge0Language> {
  const found: Judge0Language[] = [];
  for (const entry of JUDGE0_NAMES) {
    const spec = languages.find(entry.language);
    const version = languages.info.find((l) => l.id === entry.language)?.version;
    if (!spec || !version) continue;
    const commands = shownCommands(spec, memoryMb);
    for (const id of entry.ids) {
      found.push({ id, name: entry.name.replace('{version}', version), canonical: id === entry.canonical, spec, ...commands });
    }
  }
  return new Map(found.sort((a, b) => a.id - b.id).map((l) => [l.id, l]));
}

/**
 * The compile and run commands of a language as Judge0 shows its own (`g++ %s main.cpp`,
 * `%s` where compiler_options go): runbox's templates expanded for its hello world.
 */
function shownCommands(spec: LanguageSpec, memoryMb: number): Pick<Judge0Language, 'sourceFile' | 'compileCmd' | 'runCmd'> {
  const file = spec.sourceFile(spec.template);
  const context = { file, code: spec.template, sources: [file], memoryMb, compilerArchive: null };
  const compiler = spec.compilerOptions ? spec.compilerOptions.with(['%s']) : spec;
  return {
    sourceFile: file,
    compileCmd: compiler.compile ? compiler.compile(context).join(' ') : null,
    runCmd: spec.run(context).join(' '),
  };
}
