/** Splits a program-arguments field like a shell would for quotes: a "b c" 'd e' -> [a, b c, d e]. */
export function splitArgs(text: string): string[] {
  const args: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const m of text.matchAll(re)) args.push(m[1] ?? m[2] ?? m[3] ?? '');
  return args;
}

/** The inverse of splitArgs, for showing saved arguments in the field: [a, b c] -> a "b c". */
export function joinArgs(args: string[]): string {
  return args
    .map((a) => {
      if (a !== '' && !/[\s"']/.test(a)) return a;
      return a.includes('"') ? `'${a}'` : `"${a}"`;
    })
    .join(' ');
}
