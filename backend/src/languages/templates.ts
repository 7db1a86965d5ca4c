/**
 * Command templates of language entries. An argument is a string with placeholders in
 * braces (`-Xmx{memoryMb*0.6}m`, `{file}`); `{{` and `}}` are literal braces. An argument
 * may also be a group `{ "when": "compilerArchive", "args": [...] }`: its arguments are
 * there only when that value is (javac's startup archive exists only once it was made).
 *
 * Which placeholders a field may use is fixed per field and checked when the entry loads,
 * so a typo stops the server instead of reaching a run as a literal `{mainclass}`.
 */

export type ArgTemplate = string | { when: string; args: string[] };

/** Values a template is expanded with; `memoryMb*<share>` is derived from `memoryMb`. */
export type TemplateValues = Readonly<Record<string, string | null | undefined>>;

const TOKEN = /\{\{|\}\}|\{([^{}]*)\}|[{}]/g;
const SHARE = /^memoryMb\*(0?\.\d+|1(?:\.0+)?)$/;

/** A heap sized as a share of the memory limit; never below what a runtime can start with. */
export function heapMb(memoryMb: number, share: number): number {
  return Math.max(16, Math.floor(memoryMb * share));
}

/** The placeholder names in one template, or the problem with its braces. */
export function placeholdersOf(template: string): { names: string[]; error: string | null } {
  const names: string[] = [];
  for (const m of template.matchAll(TOKEN)) {
    if (m[0] === '{{' || m[0] === '}}') continue;
    if (m[1] === undefined) return { names, error: `a lone "${m[0]}" (write {{ or }} for a literal brace)` };
    names.push(m[1]);
  }
  return { names, error: null };
}

/**
 * Checks one template against the placeholders its field allows (`memoryMb*<share>` is
 * allowed wherever `memoryMb` is); the message, or null.
 */
export function checkTemplate(template: string, allowed: readonly string[]): string | null {
  const { names, error } = placeholdersOf(template);
  if (error) return error;
  for (const name of names) {
    const known = allowed.includes(name) || (SHARE.test(name) && allowed.includes('memoryMb'));
    if (!known) {
      const hint = allowed.length === 0 ? 'this field takes no placeholders' : `known here: ${allowed.map((a) => `{${a}}`).join(', ')}${allowed.includes('memoryMb') ? ', {memoryMb*<share>}' : ''}`;
      return `unknown placeholder {${name}} (${hint})`;
    }
  }
  return null;
}

export function expandTemplate(template: string, values: TemplateValues): string {
  return template.replace(TOKEN, (token, name: string | undefined) => {
    if (token === '{{') return '{';
    if (token === '}}') return '}';
    return valueOf(name!, values);
  });
}

/**
 * A placeholder that stands for a list (`{sources}`: every translation unit of a program of
 * several files; `{compilerOptions}`: the flags a request adds to the compile, none unless it
 * adds some) is a whole argument of its own and becomes one argument per item.
 */
export const LIST_PLACEHOLDERS = ['sources', 'compilerOptions'] as const;
export type ListValues = Readonly<Partial<Record<(typeof LIST_PLACEHOLDERS)[number], readonly string[]>>>;

export function expandArgv(templates: readonly ArgTemplate[], values: TemplateValues, lists: ListValues = {}): string[] {
  const argv: string[] = [];
  for (const t of templates) {
    const list = typeof t === 'string' ? LIST_PLACEHOLDERS.find((name) => t === `{${name}}`) : undefined;
    if (list) {
      const items = lists[list] ?? (list === 'compilerOptions' ? [] : undefined);
      // checked at load: a missing list here is the server's own mistake
      if (!items) throw new Error(`no value for placeholder {${list}}`);
      argv.push(...items);
    } else if (typeof t === 'string') argv.push(expandTemplate(t, values));
    else if (values[t.when]) argv.push(...t.args.map((a) => expandTemplate(a, values)));
  }
  return argv;
}

function valueOf(name: string, values: TemplateValues): string {
  const share = SHARE.exec(name);
  if (share) return String(heapMb(Number(values.memoryMb), Number(share[1])));
  const value = values[name];
  // checked at load: a missing value here is the server's own mistake
  if (value === undefined || value === null) throw new Error(`no value for placeholder {${name}}`);
  return value;
}
