import type { PackageGroup } from './test-data.js';

/**
 * What a problem imported from a package keeps beside its tests (the store's
 * problems.package column, JSON), and what the judge reads of it.
 */

/** How output is judged: the default validator with its flags, or the package's own program. */
export type OutputValidation =
  | { kind: 'default'; flags: string[] }
  | {
      kind: 'custom';
      /** talks with the submission over pipes (validation: custom interactive) */
      interactive: boolean;
      /** runbox's language id of the validator (C++ or Python, by its files' endings) */
      language: string;
      /** its files (a directory's worth), the entry first */
      files: { name: string; content: string }[];
      /** problem.yaml's validator_flags */
      flags: string[];
    };

export interface StoredPackage {
  format: 'kattis-legacy';
  /** the package's short name (folder or zip) */
  name: string;
  type: 'pass-fail' | 'scoring';
  statementHtml: string;
  validation: OutputValidation;
  /** the groups in the order judged, settings inherited (sample, secret, secret/...) */
  groups: PackageGroup[];
  /** bytes of output a submission may write, from limits.output */
  outputLimitKb: number;
  /** the validator's own limits (limits.validation_*) */
  validatorLimits: { timeMs: number; memoryMb: number };
  /** where the time limit came from */
  timeLimitFrom: '.timelimit' | 'accepted submissions' | 'default';
  /** data/sample's interaction protocols, shown for an interactive problem */
  interactions: { name: string; text: string }[];
  source: string | null;
  sourceUrl: string | null;
  author: string | null;
  license: string;
  rightsOwner: string | null;
}
