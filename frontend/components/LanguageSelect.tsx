import type { LanguageInfo } from '../lib/api';

export interface LanguageSelectProps {
  languages: LanguageInfo[];
  value: string;
  onChange(language: string): void;
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
            {l.version ? `${l.name} ${l.version}` : l.name}
          </option>
        ))}
      </select>
    </label>
  );
}
