import semver from 'semver';
import type { LanguageSpec } from '../../languages/registry.js';
import type { OfferedLanguages } from '../../languages/toolchains.js';

/**
 * The languages as Piston names them. Piston clients pick a runtime by Piston's language
 * name or alias plus a semver range; runbox's registry stays the one list of languages,
 * and this table only renames. A registry language missing here is still offered, under
 * its runbox id and aliases.
 */
interface PistonName {
  /** Piston's language name: what /api/v2/runtimes lists and /api/v2/execute answers with. */
  language: string;
  /**
   * Piston's aliases for it, in Piston's order; runbox's own names are added after them.
   * `{major}` and `{minor}` are the toolchain's: Piston names a version in some aliases
   * (python3.11, ts5), and an alias must name the version this server really has.
   */
  aliases: readonly string[];
  /** The package providing it, where Piston names one (gcc provides c++, node provides javascript). */
  runtime?: string;
}

/**
 * The aliases of Piston's package files (packages/<package>/<version>/metadata.json). The
 * versioned ones follow Piston's packages: python3.10, 3.11 and 3.12 each for its Python,
 * typescript5 and ts5 for TypeScript 5, ruby3 for Ruby 3, php8 for PHP 8 (of php 8.0.2;
 * its "html" is left out: runbox runs no HTML).
 */
const PISTON_NAMES: Readonly<Record<string, PistonName>> = {
  javascript: { language: 'javascript', aliases: ['node-javascript', 'node-js', 'javascript', 'js'], runtime: 'node' },
  python: { language: 'python', aliases: ['py', 'py3', 'python3', 'python{major}.{minor}'] },
  cpp: { language: 'c++', aliases: ['cpp', 'g++'], runtime: 'gcc' },
  java: { language: 'java', aliases: [] },
  c: { language: 'c', aliases: ['gcc'], runtime: 'gcc' },
  typescript: { language: 'typescript', aliases: ['ts', 'node-ts', 'tsc', 'typescript{major}', 'ts{major}'] },
  go: { language: 'go', aliases: ['go', 'golang'] },
  rust: { language: 'rust', aliases: ['rs'] },
  ruby: { language: 'ruby', aliases: ['ruby{major}', 'rb'] },
  bash: { language: 'bash', aliases: ['sh'] },
  php: { language: 'php', aliases: ['php{major}'] },
};

const withVersion = (alias: string, version: semver.SemVer) => alias.replace('{major}', String(version.major)).replace('{minor}', String(version.minor));

/** One entry of GET /api/v2/runtimes (Piston's shape), with the runbox language behind it. */
export interface PistonRuntime {
  language: string;
  /** The toolchain's version as runbox read it at start, as semver (e.g. "3.11.2"): a client may send it back as the range. */
  version: string;
  aliases: string[];
  runtime?: string;
  spec: LanguageSpec;
  /** The version as semver, for matching a request's range. */
  semver: semver.SemVer;
}

/**
 * Piston's view of the languages this server really has: each with the version its
 * toolchain reported at start. A language whose toolchain was not found has no version,
 * so no Piston client could ask for it: it is left out.
 */
export function pistonRuntimes(languages: OfferedLanguages): PistonRuntime[] {
  const runtimes: PistonRuntime[] = [];
  for (const info of languages.info) {
    const spec = languages.find(info.id);
    const version = info.version === null ? null : semver.coerce(info.version);
    if (!spec || !version) continue;
    const name = PISTON_NAMES[info.id] ?? { language: info.id, aliases: [] };
    const piston = name.aliases.map((a) => withVersion(a, version));
    const aliases = [...new Set([...piston, info.id, ...info.aliases])].filter((a) => a !== name.language || piston.includes(a));
    runtimes.push({ language: name.language, version: version.version, aliases, ...(name.runtime ? { runtime: name.runtime } : {}), spec, semver: version });
  }
  return runtimes;
}

/**
 * The runtime a Piston request names: by language name or alias (any case), the newest
 * whose version satisfies `range` (a semver range such as "3.x", "*" or an exact version),
 * as Piston picks it. Undefined when none does.
 */
export function findPistonRuntime(runtimes: readonly PistonRuntime[], language: string, range: string): PistonRuntime | undefined {
  const name = language.trim().toLowerCase();
  return runtimes
    .filter((rt) => (rt.language === name || rt.aliases.includes(name)) && semver.satisfies(rt.semver, range))
    .sort((a, b) => semver.rcompare(a.semver, b.semver))[0];
}

/** GET /api/v2/runtimes: what Piston lists, nothing of runbox's own. */
export function runtimeListing(runtimes: readonly PistonRuntime[]): { language: string; version: string; aliases: string[]; runtime?: string }[] {
  return runtimes.map((rt) => ({ language: rt.language, version: rt.version, aliases: rt.aliases, ...(rt.runtime ? { runtime: rt.runtime } : {}) }));
}
