/**
 * Output comparison as Judge0 does it: trailing whitespace on every line and at the end
 * is ignored (so Windows line ends and a missing final newline are fine); everything else,
 * leading spaces and blank lines between lines included, must match.
 */
export function outputsMatch(actual: string, expected: string): boolean {
  return normalize(actual) === normalize(expected);
}

function normalize(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .trimEnd();
}
