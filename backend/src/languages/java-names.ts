/**
 * Java's file and main-class names come from the source: javac insists that a public
 * class lives in <Name>.java, and `java` needs the fully qualified name of the class
 * holding main(). Users write `public class Solution`, `class Main`, several classes,
 * nested helper classes, a `package` line; all must just work.
 */

const IDENT = '[A-Za-z_$][A-Za-z0-9_$]*';
const TYPE_KEYWORD = '(?:class|interface|enum|record)';
const MODIFIERS = '(?:(?:final|abstract|static|strictfp|sealed|non-sealed)\\s+)*';
const MAIN = '\\bstatic\\s+(?:(?:public|final|synchronized|strictfp)\\s+)*void\\s+main\\s*\\(';

/**
 * Comments, strings, char literals and text blocks can mention "class Foo" or hold braces;
 * blank them out (keeping line breaks and offsets) before scanning.
 */
function blankCommentsAndLiterals(code: string): string {
  return code.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*|"""[\s\S]*?"""|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'/g, (m) => m.replace(/[^\n]/g, ' '));
}

interface TopLevelType {
  name: string;
  isPublic: boolean;
  /** main() is one of its own members, not a nested or local class's. */
  declaresMain: boolean;
}

/**
 * The types declared outside any braces, found by counting braces in the blanked source.
 * Nested, local and anonymous classes sit at depth 1 or more and are never listed. A type
 * whose body never closes (a syntax error javac will report) still counts.
 */
function topLevelTypes(clean: string): TopLevelType[] {
  const token = new RegExp(`[{}]|(?:\\b(public)\\s+${MODIFIERS})?\\b${TYPE_KEYWORD}\\s+(${IDENT})|(${MAIN})`, 'g');
  const types: TopLevelType[] = [];
  let depth = 0;
  let declared: TopLevelType | null = null; // named at depth 0, its body not opened yet
  let open: TopLevelType | null = null; // the top-level type whose body we are in
  for (const m of clean.matchAll(token)) {
    if (m[0] === '{') {
      if (depth === 0 && declared) [open, declared] = [declared, null];
      depth++;
    } else if (m[0] === '}') {
      depth = Math.max(0, depth - 1);
      if (depth === 0 && open) {
        types.push(open);
        open = null;
      }
    } else if (m[3] !== undefined) {
      if (depth === 1 && open) open.declaresMain = true;
    } else if (depth === 0) {
      declared = { name: m[2]!, isPublic: m[1] !== undefined, declaresMain: false };
    }
  }
  if (open) types.push(open);
  return types;
}

function packageName(clean: string): string | null {
  // `package` is a reserved word: outside comments and literals it can only be the declaration
  const m = new RegExp(`\\bpackage\\s+(${IDENT}(?:\\s*\\.\\s*${IDENT})*)\\s*;`).exec(clean);
  return m ? m[1]!.replace(/\s+/g, '') : null;
}

export function javaPublicClass(code: string): string | null {
  return topLevelTypes(blankCommentsAndLiterals(code)).find((t) => t.isPublic)?.name ?? null;
}

/** The most bytes one file name may have (Linux's NAME_MAX, on every file system a run's home can be on). */
const NAME_MAX = 255;

/** javac reads a public class from <Name>.java and writes <Name>.class: the longer must fit. */
const fileNameFits = (className: string) => Buffer.byteLength(`${className}.class`) <= NAME_MAX;

/**
 * A public class whose name is too long for a file name cannot be in <Name>.java: the file is
 * then named Main.java, so that it can be written at all, and javaClassNameTooLong refuses
 * the source before javac runs (writing <Name>.java would fail inside the server).
 */
export function javaSourceFile(code: string): string {
  const name = javaPublicClass(code);
  return `${name !== null && fileNameFits(name) ? name : 'Main'}.java`;
}

/** The one Java mistake that is the file system's: a public class named past NAME_MAX. The message, or null. */
function javaClassNameTooLong(code: string): string | null {
  const name = javaPublicClass(code);
  if (name === null || fileNameFits(name)) return null;
  const shown = name.length > 40 ? `${name.slice(0, 32)}…` : name;
  const most = NAME_MAX - '.class'.length;
  return `public class ${shown} has a name of ${Buffer.byteLength(name)} bytes, too long for its files: javac reads it from ${shown}.java and writes ${shown}.class, and a file name may be at most ${NAME_MAX} bytes (a class name at most ${most})`;
}

/**
 * The fully qualified name `java` runs: the top-level type that declares main() itself
 * (the public one if several do), in the file's package. Without one, the public class or
 * Main: the JVM's own error then says what is wrong.
 */
export function javaMainClass(code: string): string {
  const clean = blankCommentsAndLiterals(code);
  const types = topLevelTypes(clean);
  const withMain = types.filter((t) => t.declaresMain);
  const name = (withMain.find((t) => t.isPublic) ?? withMain[0] ?? types.find((t) => t.isPublic))?.name ?? 'Main';
  const pkg = packageName(clean);
  return pkg ? `${pkg}.${name}` : name;
}

const JAVA_NO_MAIN = 'no class declares `public static void main(String[] args)`: there is nothing to run';

/**
 * Code with no main() anywhere compiles fine and then fails in the JVM with an obscure
 * message; say so before compiling instead. Returns the message, or null when main exists.
 */
function javaMissingMain(code: string): string | null {
  return new RegExp(MAIN).test(blankCommentsAndLiterals(code)) ? null : JAVA_NO_MAIN;
}

/** What is wrong with Java source before javac sees it (java-names' rules), or null. */
export function javaSourceError(code: string): string | null {
  return javaClassNameTooLong(code) ?? javaMissingMain(code);
}
