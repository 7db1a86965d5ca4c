import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { languageEntrySchema } from './entry-schema.js';
import { languageFromEntry, LanguageSet, type LanguageSpec } from './registry.js';

/** backend/languages, next to src/ and dist/. */
export const DEFAULT_LANGUAGES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../languages');

/** A language entry the server will not start with: the message names the file and the field. */
export class LanguageEntryError extends Error {
  constructor(
    readonly file: string,
    readonly field: string | null,
    problem: string,
  ) {
    super(`${file}${field ? `: ${field}` : ''}: ${problem}`);
  }
}

/**
 * Reads every `<id>.json` of the directory and checks it against the entry schema. The
 * first bad entry throws: a server with a half-understood language must not start.
 */
export function loadLanguages(dir: string = DEFAULT_LANGUAGES_DIR): LanguageSet {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
  } catch (err) {
    throw new LanguageEntryError(dir, null, `cannot read the language directory (${(err as Error).message})`);
  }
  if (names.length === 0) throw new LanguageEntryError(dir, null, 'holds no language entry (<id>.json)');
  const languages: LanguageSpec[] = [];
  const owners = new Map<string, string>(); // id or alias -> the file that claimed it
  for (const name of names) {
    const file = path.join(dir, name);
    const lang = loadEntry(file);
    if (`${lang.id}.json` !== name) throw new LanguageEntryError(file, 'id', `"${lang.id}" does not match the file name (expected ${lang.id}.json)`);
    for (const [field, claimed] of [['id', lang.id], ...lang.aliases.map((a) => ['aliases', a] as const)] as const) {
      const owner = owners.get(claimed);
      if (owner && owner !== file) throw new LanguageEntryError(file, field, `"${claimed}" is already a name of ${path.basename(owner)}`);
      owners.set(claimed, file);
    }
    languages.push(lang);
  }
  return new LanguageSet(languages);
}

function loadEntry(file: string): LanguageSpec {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new LanguageEntryError(file, null, `not valid JSON (${(err as Error).message})`);
  }
  const parsed = languageEntrySchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const field = formatPath([...issue.path, ...keys.slice(0, 1)]);
    // a record's bad key (env) carries its own reason one level down
    const message = issue.code === 'unrecognized_keys' ? 'is not a known field' : issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
    throw new LanguageEntryError(file, field || '(entry)', message);
  }
  return languageFromEntry(parsed.data, file);
}

/** `run[2]`, `toolchain.commands[0]`, `env.GOCACHE`. */
function formatPath(parts: readonly PropertyKey[]): string {
  return parts.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${String(p)}`)).join('');
}
