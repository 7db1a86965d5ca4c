import path, { extname } from 'node:path';
import type { LanguageEntry } from './entry-schema.js';
import { SOURCE_RULES, type SourceRule } from './source-rules.js';
import { expandArgv, expandTemplate, type TemplateValues } from './templates.js';

/**
 * Languages are data: one entry each (backend/languages/<id>.json, docs/languages.md).
 * This is an entry made usable: its templates as functions of the run. Nothing in the
 * server branches on a language's id; what only code can do is a named source rule.
 */

export interface CommandContext {
  /** The entry file's name inside the run's home. */
  file: string;
  /** The entry file's content (what a source rule reads). */
  code: string;
  /** Every file of the program the compiler is given (its translation units), in the program's order: {sources}. */
  sources: readonly string[];
  memoryMb: number;
  /** The compiler's startup archive, if this language has one and it was made. */
  compilerArchive?: string | null;
}

/**
 * How to record a startup archive for a compiler that runs on a VM (class-data sharing
 * for javac roughly halves its start): a command, run once as root on a sample program.
 */
export interface CompilerArchiveRecipe {
  sampleFile: string;
  sample: string;
  command(archive: string): string[];
}

export interface LanguageSpec {
  id: string;
  name: string;
  aliases: readonly string[];
  /** Monaco's language id. */
  monaco: string;
  /** The entry's own source file name: the editor's, and the run's unless a source rule names it. */
  defaultSourceFile: string;
  /** Command whose first line of output carries the toolchain version. */
  versionCommand: readonly string[];
  toolchain: { readonly commands: readonly string[]; readonly paths: readonly string[] };
  sourceFile(code: string): string;
  /**
   * How the names of the program's source files end (from the entry's `sourceExtensions`):
   * of a program of several files these are the ones {sources} names, and the entry file
   * must be one of them. Headers and data files are written to the home but not named.
   */
  sourceExtensions: readonly string[];
  /**
   * A mistake that would otherwise surface late and obscurely (Java without main() compiles,
   * then the JVM fails), found in the source before compiling: its message, or null. The
   * run then ends as a compile error and the compiler never starts.
   */
  sourceError?(code: string): string | null;
  compile?(ctx: CommandContext): string[];
  compilerArchive?: CompilerArchiveRecipe;
  /** A compiler cache made once (the compile of `sample`) that each compile starts from: `dir` below the home. */
  buildCache?: { readonly dir: string; readonly sampleFile: string; readonly sample: string };
  run(ctx: CommandContext): string[];
  /** Environment variables the compile and the run get, for a run whose home is `home`. */
  env(home: string): Record<string, string>;
  /** Directories below the home made for the run before it starts (per-run caches). */
  writableDirs: readonly string[];
  /** What the runtime prints when its own heap limit (sized to the cgroup) is hit. */
  outOfMemory?: RegExp;
  /**
   * For a language whose compile takes flags from the request (its entry's
   * `compilerOptions`): why these flags may not be given (null: they may), and the language
   * compiling with them.
   */
  compilerOptions?: { problem(options: readonly string[]): string | null; with(options: readonly string[]): LanguageSpec };
  template: string;
  starter?: string;
  /** The playground's examples, each with the input a test gives it and the output it must print. */
  examples: readonly LanguageExample[];
  packages?: { readonly names: readonly string[]; check(pkg: string): string[] };
  /**
   * The entry's formatter (offered only where its toolchain is found: OfferedLanguages):
   * it reads the program on stdin and writes it formatted on stdout.
   */
  format?: LanguageFormatter;
  /** The entry's file, for messages. */
  entryFile: string;
}

export type LanguageExample = LanguageEntry['examples'][number];

export interface LanguageFormatter {
  /** Its name as /api/languages gives it: the command's ("gofmt"). */
  name: string;
  /** Commands that must be on the sandbox PATH. */
  toolchain: readonly string[];
  /** Its command line for the source file `file` (the name the language gives the code). */
  command(file: string): string[];
  /** Finds the line its error message names (the first group). */
  errorLine?: RegExp;
}

export function languageFromEntry(entry: LanguageEntry, entryFile: string, compilerOptions: readonly string[] = []): LanguageSpec {
  const rule: SourceRule | null = entry.sourceRule ? SOURCE_RULES[entry.sourceRule] : null;
  const values = (ctx: CommandContext): TemplateValues => {
    const out: Record<string, string | null | undefined> = { file: ctx.file, memoryMb: String(ctx.memoryMb), compilerArchive: ctx.compilerArchive };
    // a rule's placeholders are worked out only when a template uses them
    for (const [name, derive] of Object.entries(rule?.placeholders ?? {})) Object.defineProperty(out, name, { get: () => derive(ctx.code), enumerable: true });
    return out;
  };
  const { compile, compilerArchive, packages, format } = entry;
  return {
    id: entry.id,
    name: entry.name,
    aliases: [...new Set(entry.aliases)],
    monaco: entry.monaco,
    defaultSourceFile: entry.sourceFile,
    versionCommand: entry.version,
    toolchain: entry.toolchain,
    sourceFile: rule ? (code) => rule.sourceFile(code) : () => entry.sourceFile,
    ...(rule?.sourceError ? { sourceError: rule.sourceError } : {}),
    sourceExtensions: entry.sourceExtensions ?? [extname(entry.sourceFile)],
    ...(compile ? { compile: (ctx: CommandContext) => expandArgv(compile, values(ctx), { sources: ctx.sources, compilerOptions }) } : {}),
    ...(entry.compilerOptions
      ? { compilerOptions: { problem: (options) => compilerOptionsProblem(entry.compilerOptions!, options), with: (options) => languageFromEntry(entry, entryFile, options) } }
      : {}),
    ...(compilerArchive
      ? { compilerArchive: { sampleFile: compilerArchive.sampleFile, sample: compilerArchive.sample, command: (archive: string) => expandArgv(compilerArchive.command, { archive }) } }
      : {}),
    ...(entry.buildCache ? { buildCache: entry.buildCache } : {}),
    run: (ctx) => expandArgv(entry.run, values(ctx), { sources: ctx.sources }),
    env: (home) => Object.fromEntries(Object.entries(entry.env).map(([name, value]) => [name, expandTemplate(value, { home })])),
    writableDirs: entry.writableDirs,
    ...(entry.outOfMemory !== undefined ? { outOfMemory: new RegExp(entry.outOfMemory, 'm') } : {}),
    template: entry.template,
    ...(entry.starter !== undefined ? { starter: entry.starter } : {}),
    examples: entry.examples,
    ...(packages ? { packages: { names: packages.names, check: (pkg: string) => expandArgv(packages.check, { package: pkg }) } } : {}),
    ...(format
      ? {
          format: {
            name: path.basename(format.command[0]!),
            toolchain: format.toolchain ?? [format.command[0]!],
            command: (file: string) => expandArgv(format.command, { file }),
            ...(format.errorLine !== undefined ? { errorLine: new RegExp(format.errorLine, 'm') } : {}),
          },
        }
      : {}),
    entryFile,
  };
}

/**
 * A language's formatter as a language of its own, so that formatting is a run like any
 * other (a fresh user, a jail, the run limits): nothing to compile, and its run is the
 * formatter reading the code on its stdin. The run's file is the language's, so {file}
 * names it.
 */
export function formatterLanguage(lang: LanguageSpec, formatter: LanguageFormatter): LanguageSpec {
  return {
    ...lang,
    toolchain: { commands: formatter.toolchain, paths: lang.toolchain.paths },
    run: (ctx) => formatter.command(ctx.file),
    // none of the language's compile, checks, environment or per-run directories: a formatter reads and writes its pipes
    compile: undefined,
    sourceError: undefined,
    compilerOptions: undefined,
    compilerArchive: undefined,
    buildCache: undefined,
    outOfMemory: undefined,
    packages: undefined,
    format: undefined,
    env: () => ({}),
    writableDirs: [],
  };
}

const globMatches = (glob: string, option: string) => (glob.endsWith('*') ? option.startsWith(glob.slice(0, -1)) : option === glob);

/** Why a request's compile flags are not allowed by the entry, or null. */
function compilerOptionsProblem(rules: NonNullable<LanguageEntry['compilerOptions']>, options: readonly string[]): string | null {
  for (const option of options) {
    if (!rules.allowed.some((g) => globMatches(g, option)) || rules.refused.some((g) => globMatches(g, option))) {
      return `${JSON.stringify(option.slice(0, 64))} is not allowed (allowed: ${rules.allowed.join(' ')}${rules.refused.length ? `; never ${rules.refused.join(' ')}` : ''})`;
    }
  }
  return null;
}

/** Languages found by id or alias, case-insensitively; unknown names are not guessed. */
export class LanguageSet {
  private readonly byName = new Map<string, LanguageSpec>();

  constructor(readonly all: readonly LanguageSpec[]) {
    for (const lang of all) for (const name of [lang.id, ...lang.aliases]) this.byName.set(name, lang);
  }

  find(name: string): LanguageSpec | undefined {
    return this.byName.get(name.trim().toLowerCase());
  }

  get ids(): string[] {
    return this.all.map((l) => l.id);
  }
}
