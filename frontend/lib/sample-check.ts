/**
 * What a run on a sample printed, against the sample's answer, the judge's way: a problem
 * made through the API compares as its judge does (trailing whitespace ignored,
 * backend/src/judge/compare.ts); a package's problem as the format's default validator does
 * with the package's flags (backend/src/problems/default-validator.ts). A package with a
 * validator of its own is not judged here: there a difference is a hint and Submit decides.
 */
import { outputsMatch } from '../../backend/src/judge/compare.js';
import { compareOutput, parseDefaultValidatorFlags, type DefaultValidatorFlags } from '../../backend/src/problems/default-validator.js';
import type { ProblemPackageView } from '../../backend/src/protocol.js';

export interface SampleCheck {
  matches: boolean;
  /** where it differs, in words ("token 1: "2.33" where "2.333333333" was expected") */
  message: string;
}

/** The default validator's settings when a package names none. */
const DEFAULT_FLAGS: DefaultValidatorFlags = { caseSensitive: false, spaceChangeSensitive: false, floatAbsolute: null, floatRelative: null };

export function checkSample(output: string, expected: string, pkg: ProblemPackageView | undefined): SampleCheck {
  if (pkg) {
    const parsed = pkg.validation.kind === 'default' ? parseDefaultValidatorFlags(pkg.validation.flags) : DEFAULT_FLAGS;
    const { accepted, message } = compareOutput(output, expected, typeof parsed === 'string' ? DEFAULT_FLAGS : parsed);
    return { matches: accepted, message };
  }
  const matches = outputsMatch(output, expected);
  return { matches, message: matches ? '' : firstDifferentLine(output, expected) };
}

/** "line 2: "-1" where "3" was expected", after the judge's trimming of trailing whitespace. */
function firstDifferentLine(output: string, expected: string): string {
  const lines = (s: string) => s.split('\n').map((l) => l.trimEnd()).join('\n').trimEnd().split('\n');
  const got = lines(output);
  const want = lines(expected);
  for (let i = 0; i < Math.max(got.length, want.length); i++) {
    if (got[i] === want[i]) continue;
    if (got[i] === undefined) return `line ${i + 1}: the output ended, "${shorten(want[i]!)}" was expected`;
    if (want[i] === undefined) return `line ${i + 1}: "${shorten(got[i]!)}" after the end of the answer`;
    return `line ${i + 1}: "${shorten(got[i]!)}" where "${shorten(want[i]!)}" was expected`;
  }
  return '';
}

const shorten = (s: string) => (s.length > 40 ? `${s.slice(0, 37)}...` : s);
