import { javaMainClass, javaSourceError, javaSourceFile } from './java-names.js';

/**
 * What cannot be data: a language whose file name or run command depends on the source
 * itself. An entry names its rule ("sourceRule": "java-public-class"); the rule decides the
 * source file's name, may reject the source before compiling, and offers placeholders the
 * entry's commands may use.
 */
export interface SourceRule {
  /** The source file's name for this code (the entry's `sourceFile` is the editor's name). */
  sourceFile(code: string): string;
  /**
   * A mistake that would otherwise surface late and obscurely (Java without main() compiles,
   * then the JVM fails), found in the source before compiling: its message, or null.
   */
  sourceError?(code: string): string | null;
  /** Placeholders this rule adds to the compile and run commands, by name. */
  placeholders: Readonly<Record<string, (code: string) => string>>;
}

export const SOURCE_RULES = {
  /**
   * javac insists that a public class lives in <Name>.java, and `java` needs the fully
   * qualified name of the class holding main(): {mainClass}. Source without main(), or with
   * a public class named too long for its file, is refused before javac runs.
   */
  'java-public-class': {
    sourceFile: javaSourceFile,
    sourceError: javaSourceError,
    placeholders: { mainClass: javaMainClass },
  },
} as const satisfies Record<string, SourceRule>;

export type SourceRuleName = keyof typeof SOURCE_RULES;
export const SOURCE_RULE_NAMES = Object.keys(SOURCE_RULES) as [SourceRuleName, ...SourceRuleName[]];
