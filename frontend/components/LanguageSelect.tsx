import type { LanguageInfo } from '../lib/api';

export interface LanguageSelectProps {
  languages: LanguageInfo[];
  value: string;
  onChange(language: string): void;
}

/**
 * A language as the picker names it: its name, then the version its toolchain reports. A name
 * that ends in the version's first number ("Python 3", 3.11.7) gives that number to the
 * version rather than say it twice: "Python 3.11.7", not "Python 3 3.11.7". The version stays
 * after the whole name ("Java (OpenJDK) 17.0.15"): it is not always the version of what the
 * parentheses name (TypeScript's is TypeScript's, not Node's).
 */
export function languageLabel({ name, version }: Pick<LanguageInfo, 'name' | 'version'>): string {
  if (!version) return name;
  const repeated = /^(.*\S)\s+(\d+)$/.exec(name);
  if (repeated && (version === repeated[2] || version.startsWith(`${repeated[2]}.`))) return `${repeated[1]} ${version}`;
  return `${name} ${version}`;
}

/** The language picker: every language the API offers, with its version; disabled until they are known. */
export default function LanguageSelect({ languages, value, onChange }: LanguageSelectProps) {
  return (
    <label className="field-inline">
      <span>Language</span>
      <select aria-label="Language" value={value} onChange={(e) => onChange(e.target.value)} disabled={languages.length === 0}>
        {languages.length === 0 && <option value={value}>{value}</option>}
        {languages.map((l) => (
          <option key={l.id} value={l.id}>
            {languageLabel(l)}
          </option>
        ))}
      </select>
    </label>
  );
}
