import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { languageEntrySchema } from '../backend/src/languages/entry-schema.js';
import { DEFAULT_LANGUAGES_DIR, loadLanguages } from '../backend/src/languages/load.js';
import type { LanguageInfo } from '../backend/src/protocol.js';
import { useRunbox } from './helpers/runbox.js';

/**
 * The playground's Examples menu is data: each language entry's `examples`, served by
 * /api/languages. Every example is a real program: it runs and prints exactly what its entry
 * says for the input its entry gives it.
 */

const server = useRunbox();
const shipped = loadLanguages().all;

describe('the examples of the shipped entries', () => {
  test('every language has one that asks for input with a prompt, and one more', () => {
    for (const lang of shipped) {
      expect({ id: lang.id, count: lang.examples.length >= 2 }).toEqual({ id: lang.id, count: true });
      const asks = lang.examples.find((e) => e.input !== undefined);
      // the prompt comes before the answer, on the same line: it is printed before the program reads
      expect({ id: lang.id, output: asks?.output }).toEqual({ id: lang.id, output: 'What is your name? Hello, Ada!\n' });
    }
  });

  test('/api/languages serves each title and code, in the entry’s order, without the test’s input and output', async () => {
    const offered = (await server().request('GET', '/api/languages')).json as LanguageInfo[];
    expect(offered.map((l) => l.id).sort()).toEqual(shipped.map((l) => l.id).sort());
    for (const info of offered) {
      const lang = shipped.find((l) => l.id === info.id)!;
      expect(info.examples).toEqual(lang.examples.map(({ title, code }) => ({ title, code })));
    }
  });

  test.each(shipped.map((l) => [l.id]))('%s: every example prints exactly what its entry says', async (id) => {
    const lang = shipped.find((l) => l.id === id)!;
    for (const example of lang.examples) {
      const r = await server().execute({ language: id, code: example.code, stdin: example.input ?? '' });
      expect({ example: example.title, status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ example: example.title, status: 'ok', stdout: example.output, stderr: '' });
    }
  });
});

describe('a bad example is refused, naming the field', () => {
  const python = JSON.parse(readFileSync(path.join(DEFAULT_LANGUAGES_DIR, 'python.json'), 'utf8')) as Record<string, unknown>;
  const problems = (examples: unknown) => {
    const parsed = languageEntrySchema.safeParse({ ...python, examples });
    return parsed.success ? [] : parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  };

  test('two examples with one title (the menu would show two alike)', () => {
    const one = { title: 'Loops', code: 'print(1)\n', output: '1\n' };
    expect(problems([one, { ...one, title: 'loops', code: 'print(2)\n' }])).toEqual([{ path: 'examples.1.title', message: expect.stringMatching(/differ/) }]);
  });

  test('an example without the output a test checks, or with an unknown field', () => {
    expect(problems([{ title: 'No output', code: 'print(1)\n' }])).toEqual([expect.objectContaining({ path: 'examples.0.output' })]);
    expect(problems([{ title: 'Typo', code: 'print(1)\n', output: '1\n', inptu: 'x' }])).toEqual([expect.objectContaining({ path: 'examples.0' })]);
  });

  test('an entry without examples has none (the menu then offers the template only)', () => {
    const { examples: _, ...without } = python;
    const parsed = languageEntrySchema.parse(without);
    expect(parsed.examples).toEqual([]);
  });
});
