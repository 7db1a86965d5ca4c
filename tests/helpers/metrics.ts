/**
 * A Prometheus text-format scrape, parsed: every sample by its series (name plus sorted
 * labels), and every metric family the exposition declares with `# TYPE`.
 */
export interface Scrape {
  samples: Map<string, number>;
  /** family name -> counter, gauge, histogram, ... */
  families: Map<string, string>;
  text: string;
}

export function seriesKey(name: string, labels: Record<string, string> = {}): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}="${labels[k]}"`);
  return parts.length ? `${name}{${parts.join(',')}}` : name;
}

export function parseMetrics(text: string): Scrape {
  const samples = new Map<string, number>();
  const families = new Map<string, string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) families.set(type[1]!, type[2]!);
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.set(seriesKey(m[1]!, labels), Number(m[3]));
  }
  return { samples, families, text };
}

export async function scrape(url: string, headers: Record<string, string> = {}): Promise<Scrape> {
  const res = await fetch(`${url}/metrics`, { headers });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}: ${text}`);
  return parseMetrics(text);
}

/** A sample's value, 0 when the series does not exist yet (a counter never incremented). */
export const sample = (s: Scrape, name: string, labels: Record<string, string> = {}): number => s.samples.get(seriesKey(name, labels)) ?? 0;
