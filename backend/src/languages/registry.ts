import type { LanguageEntry } from './entry-schema.js';
import { SOURCE_RULES, type SourceRule } from './source-rules.js';
import { expandArgv, expandTemplate, type TemplateValues } from './templates.js';

/**
 * Languages are data: one entry each (backend/languages/<id>.json, docs/languages.md).
 * This is an entry made usable: its templates as functions of the run. Nothing in the
 * server branches on a language's id; what only code can do is a named source rule.
 */

export interface CommandContext {
  /** The source file's name inside the run's home. */
  file: string;
  code: string;
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
   * A mistake that would otherwise surface late and obscurely (Java without main() compiles,
   * then the JVM fails), found in the source before compiling: its message, or null. The
   * run then ends as a compile error and the compiler never starts.
   */
  sourceError?(code: string): string | null;
  compile?(ctx: CommandContext): string[];
  compilerArchive?: CompilerArchiveRecipe;
  run(ctx: CommandContext): string[];
  /** Environment variables the compile and the run get, for a run whose home is `home`. */
  env(home: string): Record<string, string>;
  /** Directories below the home made for the run before it starts (per-run caches). */
  writableDirs: readonly string[];
  /** What the runtime prints when its own heap limit (sized to the cgroup) is hit. */
  outOfMemory?: RegExp;
  template: string;
  starter?: string;
  packages?: { readonly names: readonly string[]; check(pkg: string): string[] };
  /** The entry's file, for messages. */
  entryFile: string;
}

export function languageFromEntry(entry: LanguageEntry, entryFile: string): LanguageSpec {
  const rule: SourceRule | null = entry.sourceRule ? SOURCE_RULES[entry.sourceRule] : null;
  const values = (ctx: CommandContext): TemplateValues => {
    const out: Record<string, string | null | undefined> = { file: ctx.file, memoryMb: String(ctx.memoryMb), compilerArchive: ctx.compilerArchive };
    // a rule's placeholders are worked out only when a template uses them
    for (const [name, derive] of Object.entries(rule?.placeholders ?? {})) Object.defineProperty(out, name, { get: () => derive(ctx.code), enumerable: true });
    return out;
  };
  const { compile, compilerArchive, packages } = entry;
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
    ...(compile ? { compile: (ctx: CommandContext) => expandArgv(compile, values(ctx)) } : {}),
    ...(compilerArchive
      ? { compilerArchive: { sampleFile: compilerArchive.sampleFile, sample: compilerArchive.sample, command: (archive: string) => expandArgv(compilerArchive.command, { archive }) } }
      : {}),
    run: (ctx) => expandArgv(entry.run, values(ctx)),
    env: (home) => Object.fromEntries(Object.entries(entry.env).map(([name, value]) => [name, expandTemplate(value, { home })])),
    writableDirs: entry.writableDirs,
    ...(entry.outOfMemory !== undefined ? { outOfMemory: new RegExp(entry.outOfMemory, 'm') } : {}),
    template: entry.template,
    ...(entry.starter !== undefined ? { starter: entry.starter } : {}),
    ...(packages ? { packages: { names: packages.names, check: (pkg: string) => expandArgv(packages.check, { package: pkg }) } } : {}),
    entryFile,
  };
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
