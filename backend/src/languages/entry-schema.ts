import { z } from 'zod';
import { SOURCE_RULE_NAMES, SOURCE_RULES } from './source-rules.js';
import { checkTemplate, LIST_PLACEHOLDERS, type ArgTemplate } from './templates.js';

/**
 * One language entry (backend/languages/<id>.json), as docs/languages.md describes it.
 * Strict objects: a misspelt field is an error, not silently ignored.
 */

const ID = /^[a-z][a-z0-9]{0,31}$/;
/** A command name or path as argv[0]: never an option, an assignment or a placeholder. */
const COMMAND = /^[A-Za-z0-9_.+/][A-Za-z0-9_.+/-]*$/;
/** A plain file name: no directory, no leading dot or dash. */
const FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,63}$/;
const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
/** Set by runbox for every run; an entry may not change them. */
const RESERVED_ENV = ['PATH', 'HOME', 'USER', 'LOGNAME', 'TMPDIR', 'LANG'];

const argTemplate: z.ZodType<ArgTemplate> = z.union([
  z.string(),
  z.strictObject({ when: z.literal('compilerArchive'), args: z.array(z.string()).min(1) }),
]);
const argv = z.array(argTemplate).min(1);
const plainArgv = z.array(z.string().min(1)).min(1);
const commandName = z.string().regex(COMMAND, 'must be a command name (letters, digits, . _ + / -)');
const absolutePath = z
  .string()
  .regex(/^\/[^\0]*$/, 'must be an absolute path')
  .refine((p) => !p.split('/').includes('..'), 'must not contain ..');
const relativeDir = z
  .string()
  .min(1)
  .max(200)
  .refine((p) => !p.startsWith('/') && p.split('/').every((part) => part !== '' && part !== '.' && part !== '..' && !part.includes('\0')), 'must be a relative path below the home, without . or ..');
const regexSource = z.string().refine((s) => {
  try {
    new RegExp(s, 'm');
    return true;
  } catch {
    return false;
  }
}, 'must be a valid regular expression');

/** A regular expression with a capturing group (invalid ones are regexSource's to report). */
const hasGroup = (source: string) => {
  try {
    return new RegExp(`${source}|`).exec('')!.length > 1;
  } catch {
    return true;
  }
};

export const languageEntrySchema = z
  .strictObject({
    /** The API's name for the language; the file must be named <id>.json. */
    id: z.string().regex(ID, 'must be lowercase letters and digits, starting with a letter (at most 32)'),
    name: z.string().min(1).max(64),
    /** Why the entry is as it is: JSON has no comments. Not used by the server. */
    notes: z.array(z.string()).optional(),
    aliases: z.array(z.string().min(1).max(32).regex(/^[a-z0-9+#._-]+$/, 'must be lowercase (matching is case-insensitive)')).default([]),
    /** Monaco's language id for the editor ("plaintext" when Monaco has none). */
    monaco: z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be a Monaco language id'),
    /** The source file's name in the run's home (and the editor's model name). */
    sourceFile: z.string().regex(FILE_NAME, 'must be a plain file name'),
    /** Code that names the source file from the code itself (source-rules.ts). */
    sourceRule: z.enum(SOURCE_RULE_NAMES).optional(),
    /**
     * How source files end, for programs of several files: {sources} names the files with
     * these endings (a compiler's translation units; headers and data files are left out)
     * and the entry file must have one. Default: the ending of `sourceFile`.
     */
    sourceExtensions: z.array(z.string().regex(/^\.[A-Za-z0-9_+-]{1,15}$/, 'must be a file ending such as ".cpp"')).min(1).optional(),
    compile: argv.optional(),
    run: argv,
    /** A command whose first line of output carries the toolchain's version. */
    version: plainArgv,
    toolchain: z.strictObject({
      /** Commands looked up on the sandbox PATH: all must be there for the language to be offered; their install directories are bound into jails. */
      commands: z.array(commandName).min(1),
      /** More host directories the toolchain reads (bound read-only when present). */
      paths: z.array(absolutePath).default([]),
    }),
    /**
     * Flags a request may add to the compile (where `{compilerOptions}` stands in `compile`):
     * `allowed` globs (a trailing * matches any rest), less the `refused` ones. Anything
     * that would load or run other code in the compile (a plugin, the linker's options) stays out.
     */
    compilerOptions: z
      .strictObject({
        allowed: z.array(z.string().regex(/^-[A-Za-z0-9=,+._-]*\*?$/, 'must be an option glob such as "-O*"')).min(1),
        refused: z.array(z.string().regex(/^-[A-Za-z0-9=,+._-]*\*?$/, 'must be an option glob such as "-fplugin*"')).default([]),
      })
      .optional(),
    /** What the runtime prints when its own heap limit is hit: the run is then memory_limit. */
    outOfMemory: regexSource.optional(),
    /** The playground's hello world. */
    template: z.string().min(1),
    /** A problem's starting code (read stdin, print the answer); `{title}` is the problem's title. */
    starter: z.string().optional(),
    /**
     * The playground's Examples menu: short programs, each with what a test gives it on stdin
     * (`input`) and what it must then print exactly (`output`: a test runs every example).
     */
    examples: z
      .array(
        z.strictObject({
          title: z.string().min(1).max(60),
          code: z.string().min(1),
          input: z.string().optional(),
          output: z.string(),
        }),
      )
      .max(8)
      .default([]),
    /** Environment of the compile and the run, values templated on {home}. */
    env: z
      .record(
        z.string().regex(ENV_NAME, 'must be an environment variable name').refine((n) => !RESERVED_ENV.includes(n), `must not be one runbox sets (${RESERVED_ENV.join(', ')})`),
        z.string().refine((v) => !v.includes('\0'), 'must not contain a NUL byte'),
      )
      .default({}),
    /** Directories made (owned by the run's user) in the home before the compile: per-run caches. Never cached as build output. */
    writableDirs: z.array(relativeDir).default([]),
    /** A startup archive for a compiler on a VM, recorded once per toolchain version (javac's class-data sharing). */
    compilerArchive: z
      .strictObject({
        sampleFile: z.string().regex(FILE_NAME, 'must be a plain file name'),
        sample: z.string().min(1),
        command: plainArgv,
      })
      .optional(),
    /**
     * A compiler cache prepared once per toolchain version (Go's build cache): the language's
     * own compile of `sample`, in a home of its own, leaves `dir` (below the home) filled; a
     * copy of it is each compile's starting cache, so a first build does not start cold.
     */
    buildCache: z
      .strictObject({
        dir: relativeDir,
        sampleFile: z.string().regex(FILE_NAME, 'must be a plain file name'),
        sample: z.string().min(1),
      })
      .optional(),
    /**
     * The playground's Format (POST /api/format): a formatter that reads the program on stdin
     * and writes it formatted on stdout, or exits non-zero with its message (a syntax error).
     * It runs in a jail like any run. `command` may name {file}, the source file's name
     * (clang-format's --assume-filename); `{{` and `}}` are literal braces.
     */
    format: z
      .strictObject({
        command: plainArgv,
        /** Commands looked up on the sandbox PATH: all must be there (and the template must format) for the language to offer Format. Default: command[0]. */
        toolchain: z.array(commandName).min(1).optional(),
        /** Where the formatter's message names the line: its first group is the line number. */
        errorLine: regexSource.refine(hasGroup, 'must have a group: the line number').optional(),
      })
      .optional(),
    /** Packages the language offers (e.g. numpy): each checked at start; the ones present are listed by /api/languages. */
    packages: z
      .strictObject({
        names: z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'must be a package name')).default([]),
        /** Exits 0 when {package} is installed; its first line of output is the version. */
        check: plainArgv,
      })
      .optional(),
  })
  .superRefine((entry, ctx) => {
    const rule = entry.sourceRule ? SOURCE_RULES[entry.sourceRule] : null;
    const commandPlaceholders = ['file', 'memoryMb', ...Object.keys(rule?.placeholders ?? {})];
    const check = (template: string, allowed: readonly string[], path: (string | number)[]) => {
      const problem = checkTemplate(template, allowed);
      if (problem) ctx.addIssue({ code: 'custom', message: problem, path });
    };
    const checkArgv = (field: 'compile' | 'run', list: readonly ArgTemplate[] | undefined) =>
      list?.forEach((arg, i) => {
        if (typeof arg === 'string') {
          if (arg === '{compilerOptions}' && (field !== 'compile' || !entry.compilerOptions)) {
            return void ctx.addIssue({ code: 'custom', message: field === 'compile' ? '{compilerOptions} needs a compilerOptions entry (which flags are allowed)' : '{compilerOptions} is for compile only', path: [field, i] });
          }
          if (LIST_PLACEHOLDERS.some((name) => arg === `{${name}}`)) return;
          const inside = LIST_PLACEHOLDERS.find((name) => arg.includes(`{${name}}`));
          if (inside) return void ctx.addIssue({ code: 'custom', message: `{${inside}} stands for several arguments: it must be an argument of its own`, path: [field, i] });
          return check(arg, commandPlaceholders, [field, i]);
        }
        if (!entry.compilerArchive) ctx.addIssue({ code: 'custom', message: 'a "when": "compilerArchive" group needs a compilerArchive entry', path: [field, i, 'when'] });
        arg.args.forEach((a, j) => check(a, [...commandPlaceholders, 'compilerArchive'], [field, i, 'args', j]));
      });
    const ending = /\.[^.]+$/.exec(entry.sourceFile)?.[0];
    if (entry.sourceExtensions && !entry.sourceExtensions.includes(ending ?? '')) {
      ctx.addIssue({ code: 'custom', message: `must include the ending of sourceFile (${ending ?? 'it has none'})`, path: ['sourceExtensions'] });
    }
    checkArgv('compile', entry.compile);
    if (entry.compilerOptions && !entry.compile?.includes('{compilerOptions}')) ctx.addIssue({ code: 'custom', message: 'needs {compilerOptions} in compile, where the flags go', path: ['compilerOptions'] });
    checkArgv('run', entry.run);
    for (const field of ['compile', 'run'] as const) {
      const first = entry[field]?.[0];
      if (first !== undefined && (typeof first !== 'string' || !COMMAND.test(first))) ctx.addIssue({ code: 'custom', message: 'must start with a command name, not a placeholder or a group', path: [field, 0] });
    }
    entry.version.forEach((arg, i) => check(arg, [], ['version', i]));
    if (!COMMAND.test(entry.version[0] ?? '')) ctx.addIssue({ code: 'custom', message: 'must be a command name', path: ['version', 0] });
    for (const [name, value] of Object.entries(entry.env)) check(value, ['home'], ['env', name]);
    entry.compilerArchive?.command.forEach((arg, i) => check(arg, ['archive'], ['compilerArchive', 'command', i]));
    entry.packages?.check.forEach((arg, i) => check(arg, ['package'], ['packages', 'check', i]));
    entry.format?.command.forEach((arg, i) => check(arg, ['file'], ['format', 'command', i]));
    if (entry.format && !COMMAND.test(entry.format.command[0] ?? '')) ctx.addIssue({ code: 'custom', message: 'must be a command name', path: ['format', 'command', 0] });
    const titles = entry.examples.map((e) => e.title.toLowerCase());
    titles.forEach((title, i) => {
      if (titles.indexOf(title) !== i) ctx.addIssue({ code: 'custom', message: 'must differ from the other examples\' titles (the menu shows them)', path: ['examples', i, 'title'] });
    });
    if (entry.buildCache && !entry.compile) ctx.addIssue({ code: 'custom', message: 'a build cache is made by the compile: this language has none', path: ['buildCache'] });
    if (entry.buildCache && !entry.writableDirs.some((d) => entry.buildCache!.dir === d || entry.buildCache!.dir.startsWith(`${d}/`))) {
      ctx.addIssue({ code: 'custom', message: 'must be below one of writableDirs (per-run directories, never part of a cached build)', path: ['buildCache', 'dir'] });
    }
  });

export type LanguageEntry = z.output<typeof languageEntrySchema>;
