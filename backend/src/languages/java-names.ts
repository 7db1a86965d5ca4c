/**
 * Java's file and main-class names come from the source: javac insists that a public
 * class lives in <Name>.java, and `java` needs the class holding main(). Users write
 * `public class Solution`, `class Main` or several classes; all must just work.
 */

const IDENT = '[A-Za-z_$][A-Za-z0-9_$]*';

/** Comments and string literals can mention "class Foo"; blank them out before scanning. */
function stripCommentsAndStrings(code: string): string {
  return code.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*|"""[\s\S]*?"""|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'/g, (m) => m.replace(/[^\n]/g, ' '));
}

export function javaPublicClass(code: string): string | null {
  const m = new RegExp(`\\bpublic\\s+(?:(?:final|abstract|static|strictfp|sealed|non-sealed)\\s+)*(?:class|interface|enum|record)\\s+(${IDENT})`).exec(
    stripCommentsAndStrings(code),
  );
  return m?.[1] ?? null;
}

export function javaSourceFile(code: string): string {
  return `${javaPublicClass(code) ?? 'Main'}.java`;
}

/** The type declared last before the first main(): that is the class holding it. */
export function javaMainClass(code: string): string {
  const clean = stripCommentsAndStrings(code);
  const mainAt = clean.search(/\bstatic\s+(?:final\s+)?void\s+main\s*\(/);
  if (mainAt >= 0) {
    const decls = [...clean.slice(0, mainAt).matchAll(new RegExp(`\\b(?:class|interface|enum|record)\\s+(${IDENT})`, 'g'))];
    const last = decls.at(-1)?.[1];
    if (last) return last;
  }
  return javaPublicClass(code) ?? 'Main';
}
