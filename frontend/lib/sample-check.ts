/**
 * What a run on a sample printed, against the sample's answer, the judge's way as far as the
 * page knows it: a problem made through the API compares as its judge does (trailing
 * whitespace ignored, backend/src/judge/compare.ts); a package's problem token by token as
 * the format's default validator does without flags (backend/src/problems/default-validator.ts).
 * A package's own flags (a float tolerance) or its own validator are not sent to the page,
 * so there a difference is a hint and Submit decides.
 */
import { outputsMatch } from '../../backend/src/judge/compare.js';
import { compareOutput, type DefaultValidatorFlags } from '../../backend/src/problems/default-validator.js';

export interface SampleCheck {
  matches: boolean;
  /** where it differs, in words ("token 1: "2.33" where "2.333333333" was expected") */
  message: string;
}

/** The default validator's settings when a package names none. */
const DEFAULT_FLAGS: DefaultValidatorFlags = { caseSensitive: false, spaceChangeSensitive: false, floatAbsolute: null, floatRelative: null };

export function checkSample(output: string, expected: string, packaged: boolean): SampleCheck {
  if (packaged) {
    const { accepted, message } = compareOutput(output, expected, DEFAULT_FLAGS);
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
