/**
 * The format's default output validator: a token-by-token diff with its flags.
 *   case_sensitive              letters must match in case (else compared case-insensitively)
 *   space_change_sensitive      whitespace must match exactly (else any run of it is one separator)
 *   float_absolute_tolerance ε  a number is right within ε of the answer's
 *   float_relative_tolerance ε  ... or within ε times the answer's magnitude
 *   float_tolerance ε           both
 * With a tolerance, any formatting of a number is accepted (3.14000000e-2 for 0.0314).
 */

export interface DefaultValidatorFlags {
  caseSensitive: boolean;
  spaceChangeSensitive: boolean;
  floatAbsolute: number | null;
  floatRelative: number | null;
}

export const EXACT: DefaultValidatorFlags = { caseSensitive: true, spaceChangeSensitive: false, floatAbsolute: null, floatRelative: null };

/** The flags from the validator's arguments; a string naming what is wrong for arguments it does not take. */
export function parseDefaultValidatorFlags(args: readonly string[]): DefaultValidatorFlags | string {
  const flags: DefaultValidatorFlags = { caseSensitive: false, spaceChangeSensitive: false, floatAbsolute: null, floatRelative: null };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === 'case_sensitive') flags.caseSensitive = true;
    else if (arg === 'space_change_sensitive') flags.spaceChangeSensitive = true;
    else if (arg === 'float_tolerance' || arg === 'float_absolute_tolerance' || arg === 'float_relative_tolerance') {
      const value = Number(args[++i]);
      if (args[i] === undefined || !Number.isFinite(value) || value < 0) return `${arg} needs a non-negative number after it`;
      if (arg !== 'float_relative_tolerance') flags.floatAbsolute = value;
      if (arg !== 'float_absolute_tolerance') flags.floatRelative = value;
    } else return `the default validator has no flag "${arg}"`;
  }
  return flags;
}

const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export interface Comparison {
  accepted: boolean;
  /** where and how it differs (for a judge, and for the author on a sample test) */
  message: string;
}

export function compareOutput(output: string, answer: string, flags: DefaultValidatorFlags): Comparison {
  // kept separators: with space_change_sensitive they are compared too
  const split = (s: string) => (flags.spaceChangeSensitive ? s.split(/(\s+)/) : s.trim().split(/\s+/)).filter((t) => t !== '');
  const got = split(output);
  const want = split(answer);
  for (let i = 0; i < want.length; i++) {
    const expected = want[i]!;
    const actual = got[i];
    const where = `token ${i + 1}`;
    if (actual === undefined) return { accepted: false, message: `${where}: the output ended, "${shorten(expected)}" was expected` };
    if (!tokenMatches(actual, expected, flags)) {
      const what = /^\s+$/.test(expected) || /^\s+$/.test(actual) ? 'whitespace differs' : `"${shorten(actual)}" where "${shorten(expected)}" was expected`;
      return { accepted: false, message: `${where}: ${what}` };
    }
  }
  if (got.length > want.length) return { accepted: false, message: `token ${want.length + 1}: "${shorten(got[want.length]!)}" after the end of the answer` };
  return { accepted: true, message: '' };
}

function tokenMatches(actual: string, expected: string, flags: DefaultValidatorFlags): boolean {
  if (actual === expected) return true;
  if ((flags.floatAbsolute !== null || flags.floatRelative !== null) && FLOAT.test(expected)) {
    if (!FLOAT.test(actual)) return false;
    const [a, e] = [Number(actual), Number(expected)];
    const diff = Math.abs(a - e);
    return (flags.floatAbsolute !== null && diff <= flags.floatAbsolute + 1e-15) || (flags.floatRelative !== null && diff <= flags.floatRelative * Math.abs(e) + 1e-15);
  }
  return !flags.caseSensitive && actual.toLowerCase() === expected.toLowerCase();
}

const shorten = (s: string) => (s.length > 40 ? `${s.slice(0, 37)}...` : s);
