import type { ProblemInput } from '../protocol.js';

/**
 * The classic problems a fresh install ships with. They are inserted once, by a schema
 * migration: an admin who edits or deletes them keeps the change.
 */

/** A small deterministic generator: the seed data is the same on every install. */
function numbers(seed: number) {
  let state = seed >>> 0;
  return (min: number, max: number) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return min + (state % (max - min + 1));
  };
}

function aPlusB(): ProblemInput {
  const pairs: [number, number][] = [[1, 2], [-5, 5], [0, 0], [123456789, 987654321], [-1000000000, -1000000000], [2147483647, 1]];
  return {
    slug: 'a-plus-b',
    title: 'A + B',
    statement: [
      'Read two integers and print their sum.',
      '',
      '## Input',
      'One line with two integers `a` and `b` separated by a space, each between -2^31 and 2^31 - 1.',
      'Their sum may not fit in 32 bits.',
      '',
      '## Output',
      'One line with `a + b`.',
    ].join('\n'),
    timeLimitMs: 2000,
    memoryLimitMb: 256,
    tests: pairs.map(([a, b], i) => ({ input: `${a} ${b}\n`, expected: `${a + b}\n`, hidden: i >= 2 })),
  };
}

function reverseLine(): ProblemInput {
  const lines = ['hello', 'runbox', 'A man, a plan, a canal: Panama', 'x', 'trailing spaces inside  words', '0123456789'.repeat(50)];
  return {
    slug: 'reverse-line',
    title: 'Reverse a line',
    statement: ['Read one line of text and print it reversed, character by character.', '', '## Input', 'One line of printable ASCII, at most 1000 characters.', '', '## Output', 'The same line, reversed.'].join('\n'),
    timeLimitMs: 2000,
    memoryLimitMb: 256,
    tests: lines.map((line, i) => ({ input: `${line}\n`, expected: `${[...line].reverse().join('')}\n`, hidden: i >= 2 })),
  };
}

function sortNumbers(): ProblemInput {
  const next = numbers(7);
  const cases = [[3, 1, 2], [5, -1, 5, 0, -1]];
  for (const size of [1, 1000, 50000]) cases.push(Array.from({ length: size }, () => next(-1000000, 1000000)));
  return {
    slug: 'sort-numbers',
    title: 'Sort the numbers',
    statement: [
      'Sort a list of integers in ascending order.',
      '',
      '## Input',
      'The first line has `n` (1 ≤ n ≤ 50 000). The second line has `n` integers between -10^6 and 10^6.',
      '',
      '## Output',
      'The `n` integers in ascending order on one line, separated by single spaces.',
    ].join('\n'),
    timeLimitMs: 2000,
    memoryLimitMb: 256,
    tests: cases.map((list, i) => ({
      input: `${list.length}\n${list.join(' ')}\n`,
      expected: `${[...list].sort((a, b) => a - b).join(' ')}\n`,
      hidden: i >= 2,
    })),
  };
}

function prefixSums(): ProblemInput {
  const next = numbers(42);
  const build = (n: number, q: number) => {
    const values = Array.from({ length: n }, () => next(-1000, 1000));
    const queries = Array.from({ length: q }, () => {
      const l = next(1, n);
      return [l, next(l, n)] as const;
    });
    const prefix = [0];
    for (const v of values) prefix.push(prefix.at(-1)! + v);
    return {
      input: `${n}\n${values.join(' ')}\n${q}\n${queries.map(([l, r]) => `${l} ${r}`).join('\n')}\n`,
      expected: `${queries.map(([l, r]) => prefix[r]! - prefix[l - 1]!).join('\n')}\n`,
    };
  };
  const sample = { input: '5\n1 2 3 4 5\n3\n1 5\n2 3\n4 4\n', expected: '15\n5\n4\n' };
  return {
    slug: 'prefix-sums',
    title: 'Range sums',
    statement: [
      'Given an array and many queries, answer each query with the sum of a range of the array.',
      'Too many queries to add up each range one by one: use prefix sums.',
      '',
      '## Input',
      'Line 1: `n` (1 ≤ n ≤ 5000). Line 2: `n` integers between -1000 and 1000.',
      'Line 3: `q` (1 ≤ q ≤ 5000). Then `q` lines with `l r` (1 ≤ l ≤ r ≤ n).',
      '',
      '## Output',
      'For each query, the sum of elements `l` to `r` (inclusive, 1-based) on its own line.',
    ].join('\n'),
    timeLimitMs: 2000,
    memoryLimitMb: 256,
    tests: [{ ...sample, hidden: false }, { ...build(10, 10), hidden: false }, { ...build(1000, 1000), hidden: true }, { ...build(5000, 5000), hidden: true }],
  };
}

export function seedProblems(): ProblemInput[] {
  return [aPlusB(), reverseLine(), sortNumbers(), prefixSums()];
}
