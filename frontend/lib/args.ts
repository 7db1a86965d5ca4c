/**
 * Splits a program-arguments field as a POSIX shell splits words (no expansion: $, *, ~ stay
 * as typed): blanks between words; 'single quotes' keep everything; "double quotes" keep
 * everything but \" \\ \$ \` (a backslash there escapes); outside quotes a backslash keeps
 * the next character (a\ b is one word). Quotes join with what touches them: --name="John Doe"
 * is one word, --name=John Doe. A quote left open runs to the end.
 */
export function splitArgs(text: string): string[] {
  const args: string[] = [];
  /** the word being read; null between words */
  let word: string | null = null;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote === "'") {
      if (ch === "'") quote = null;
      else word += ch;
    } else if (quote === '"') {
      if (ch === '"') quote = null;
      else if (ch === '\\' && i + 1 < text.length && '"\\$`\n'.includes(text[i + 1]!)) {
        const next = text[++i]!;
        if (next !== '\n') word += next;
      } else word += ch;
    } else if (/\s/.test(ch)) {
      if (word !== null) args.push(word);
      word = null;
    } else if (ch === '\\' && text[i + 1] === '\n') {
      i++; // a line continued
    } else {
      word ??= '';
      if (ch === "'" || ch === '"') quote = ch;
      else if (ch === '\\') word += text[++i] ?? '\\';
      else word += ch;
    }
  }
  if (word !== null) args.push(word);
  return args;
}

/** A word a shell reads back as itself. */
function quoted(arg: string): string {
  if (arg !== '' && /^[\w@%+=:,./-]+$/.test(arg)) return arg;
  if (!/["\\$`]/.test(arg)) return `"${arg}"`;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** The inverse of splitArgs, for showing saved arguments in the field: [a, b c] -> a "b c". */
export function joinArgs(args: string[]): string {
  return args.map(quoted).join(' ');
}
