import { z } from 'zod';
import { PackageError } from './package-error.js';
import { parseYamlFile } from './yaml-file.js';

/**
 * problem.yaml of the legacy Kattis problem package format (the one the ICPC archives,
 * DOMjudge and problemtools read). Unknown keys are errors, as the format says; the few
 * keys older problemtools accepted are taken and ignored.
 */

const text = z.union([z.string(), z.number()]).transform(String);
const positive = z.number({ error: 'must be a number' }).positive('must be greater than 0');

const metadataSchema = z.strictObject({
  problem_format_version: z.literal('legacy', { error: 'must be legacy: runbox reads the legacy format (problemtools\' default)' }).optional(),
  type: z.enum(['pass-fail', 'scoring'], { error: 'must be pass-fail or scoring' }).default('pass-fail'),
  name: z.union([text, z.record(z.string(), text)]).optional(),
  uuid: text.optional(),
  author: text.optional(),
  source: text.optional(),
  source_url: text.optional(),
  license: z.enum(['unknown', 'public domain', 'cc0', 'cc by', 'cc by-sa', 'educational', 'permission'], { error: 'must be one of the format\'s licences' }).default('unknown'),
  rights_owner: text.optional(),
  limits: z
    .strictObject({
      time_multiplier: positive.default(5),
      time_safety_margin: positive.default(2),
      memory: positive.optional(),
      output: positive.optional(),
      code: positive.optional(),
      compilation_time: positive.optional(),
      compilation_memory: positive.optional(),
      validation_time: positive.optional(),
      validation_memory: positive.optional(),
      validation_output: positive.optional(),
    })
    .default({ time_multiplier: 5, time_safety_margin: 2 }),
  validation: z
    .string({ error: 'must be a string' })
    .default('default')
    .refine((v) => /^(default|custom( (score|interactive))*)$/.test(v.trim()), 'must be "default" or "custom" followed by any of "score", "interactive"'),
  validator_flags: text.default(''),
  grading: z.strictObject({ objective: z.enum(['min', 'max']).optional(), show_test_data_groups: z.boolean().optional() }).optional(),
  keywords: text.optional(),
  // taken by older problemtools, ignored by runbox
  languages: z.unknown().optional(),
  libraries: z.unknown().optional(),
});

export type ProblemMetadata = z.output<typeof metadataSchema>;

export function readProblemYaml(contents: string | undefined): ProblemMetadata {
  if (contents === undefined) throw new PackageError('problem.yaml', 'is missing: every package has one');
  const metadata = parseYamlFile('problem.yaml', contents, metadataSchema);
  if (metadata.type === 'pass-fail' && metadata.validation.includes('score')) throw new PackageError('problem.yaml', 'validation "score" is for scoring problems only');
  return metadata;
}

/** How the package validates output, from `validation`. */
export function validationMode(metadata: ProblemMetadata): { custom: boolean; interactive: boolean; score: boolean } {
  const words = new Set(metadata.validation.trim().split(/\s+/));
  return { custom: words.has('custom'), interactive: words.has('interactive'), score: words.has('score') };
}

/** Arguments as the format passes them: split on whitespace. */
export const flagsOf = (flags: string): string[] => flags.split(/\s+/).filter(Boolean);
