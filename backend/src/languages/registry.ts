import { javaMainClass, javaMissingMain, javaSourceFile } from './java-names.js';

/**
 * Languages are data: one entry each. Adding a language is adding an entry here (and its
 * tests); nothing else in the server branches on a language.
 */

export interface CommandContext {
  /** The entry file's name inside the run's home. */
  file: string;
  /** The entry file's content. */
  code: string;
  /** Every file of the program the compiler is given (its translation units), the entry among them. */
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
  /** Command whose first line of output carries the toolchain version. */
  versionCommand: readonly string[];
  sourceFile(code: string): string;
  /**
   * How the names of the program's source files end: of a program of several files, these
   * are the ones compiled (headers and data files are not), and the entry file must be one.
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
  run(ctx: CommandContext): string[];
  /** What the runtime prints when its own heap limit (sized to the cgroup) is hit. */
  outOfMemory?: RegExp;
  template: string;
}

const heapMb = (memoryMb: number, share: number) => Math.max(16, Math.floor(memoryMb * share));

export const LANGUAGES: readonly LanguageSpec[] = [
  {
    id: 'javascript',
    name: 'JavaScript (Node.js)',
    aliases: ['js', 'node', 'nodejs', 'javascript'],
    versionCommand: ['node', '--version'],
    sourceFile: () => 'main.js',
    sourceExtensions: ['.js', '.mjs', '.cjs'],
    // V8 aborts on its own heap limit well before the cgroup kills it, with a clear message
    run: ({ file, memoryMb }) => ['node', `--max-old-space-size=${heapMb(memoryMb, 0.75)}`, file],
    outOfMemory: /JavaScript heap out of memory|Reached heap limit/,
    template: 'console.log("Hello, world!");\n',
  },
  {
    id: 'python',
    name: 'Python 3',
    aliases: ['py', 'python3', 'python'],
    versionCommand: ['python3', '--version'],
    sourceFile: () => 'main.py',
    sourceExtensions: ['.py'],
    // -u: stdout and stderr reach the output in the order the program wrote them
    run: ({ file }) => ['python3', '-u', '-B', file],
    outOfMemory: /^MemoryError/m,
    template: 'print("Hello, world!")\n',
  },
  {
    id: 'cpp',
    name: 'C++ (g++, C++20)',
    aliases: ['c++', 'cpp', 'g++', 'cxx', 'cc'],
    versionCommand: ['g++', '--version'],
    sourceFile: () => 'main.cpp',
    sourceExtensions: ['.cpp', '.cc', '.cxx', '.c++'],
    compile: ({ sources }) => ['g++', '-std=c++20', '-O2', '-pipe', '-o', 'main', ...sources],
    run: () => ['./main'],
    outOfMemory: /std::bad_alloc/,
    template: '#include <iostream>\n\nint main() {\n    std::cout << "Hello, world!" << std::endl;\n    return 0;\n}\n',
  },
  {
    id: 'java',
    name: 'Java (OpenJDK)',
    aliases: ['java', 'jdk'],
    versionCommand: ['javac', '-version'],
    sourceFile: javaSourceFile,
    sourceExtensions: ['.java'],
    sourceError: javaMissingMain,
    compile: ({ sources, memoryMb, compilerArchive }) => [
      'javac',
      ...(compilerArchive ? [`-J-XX:SharedArchiveFile=${compilerArchive}`, '-J-Xlog:cds=off', '-J-Xlog:cds+dynamic=off'] : []),
      `-J-Xmx${heapMb(memoryMb, 0.5)}m`,
      '-J-XX:+UseSerialGC',
      '-J-XX:TieredStopAtLevel=1',
      '-J-XX:-UsePerfData',
      '-encoding',
      'UTF-8',
      '-d',
      '.',
      ...sources,
    ],
    compilerArchive: {
      sampleFile: 'Main.java',
      sample: 'import java.util.*;\npublic class Main { public static void main(String[] a) { List<String> l = new ArrayList<>(); System.out.println(l); } }\n',
      command: (archive) => ['java', `-XX:ArchiveClassesAtExit=${archive}`, '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-m', 'jdk.compiler/com.sun.tools.javac.Main', '-d', '.', 'Main.java'],
    },
    // the heap gets 60% of the limit: metaspace, code cache and thread stacks need the rest;
    // the class is named in full: with a `package` line javac put it under com/example/
    run: ({ code, memoryMb }) => [
      'java',
      `-Xmx${heapMb(memoryMb, 0.6)}m`,
      '-XX:+UseSerialGC',
      '-XX:TieredStopAtLevel=1',
      '-XX:-UsePerfData',
      '-Xshare:auto',
      '-cp',
      '.',
      javaMainClass(code),
    ],
    outOfMemory: /java\.lang\.OutOfMemoryError/,
    template: 'public class Main {\n    public static void main(String[] args) {\n        System.out.println("Hello, world!");\n    }\n}\n',
  },
];

const byName = new Map<string, LanguageSpec>();
for (const lang of LANGUAGES) for (const name of [lang.id, ...lang.aliases]) byName.set(name, lang);

export function findLanguage(name: string): LanguageSpec | undefined {
  return byName.get(name.trim().toLowerCase());
}
