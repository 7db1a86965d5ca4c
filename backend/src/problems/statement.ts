import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import katex from 'katex';
import { PackageError } from './package-error.js';
import { filesUnder, textOf, type PackageFiles } from './package-files.js';

/**
 * A package's statement as HTML: problem_statement/problem.<lang>.tex (or .md, as newer
 * packages write it), converted by pandoc, its math typeset by KaTeX on the server (the
 * page needs KaTeX's stylesheet and fonts only, served from the local package, no script),
 * its figures inlined as data: URLs.
 *
 * Packages are not trusted to write HTML: a pandoc Lua filter drops raw HTML and TeX,
 * every attribute but ids and classes, and links that are not http(s), mailto or #.
 */

export interface Statement {
  /** \problemname{...}, or the first heading of a Markdown statement */
  title: string | null;
  html: string;
  /** which file it came from */
  file: string;
  /** a Markdown statement's own text (its title line left out): what the JSON API's `statement` carries */
  markdown: string | null;
}

/** problemtools' LaTeX macros, as pandoc can read them (it expands \newcommand itself). */
const PROBLEMTOOLS_MACROS = [
  '\\newcommand{\\problemname}[1]{}',
  '\\newcommand{\\illustration}[3]{\\begin{figure}\\includegraphics{#2}\\caption{#3}\\end{figure}}',
  '\\newcommand{\\fontdescription}[1]{#1}',
].join('\n');

const LUA_FILTER = `
local function plain(el)
  el.attr = pandoc.Attr(el.identifier, el.classes, {})
  return el
end
local function safe(url)
  return url:match('^https?://') or url:match('^mailto:') or url:match('^#')
end
function RawInline(el) return {} end
function RawBlock(el) return {} end
function Link(el)
  if not safe(el.target) then el.target = '' end
  return plain(el)
end
Image = plain
Span = plain
Div = plain
Code = plain
CodeBlock = plain
Header = plain
`;

const PANDOC_TIMEOUT_MS = 20_000;
const IMAGE_TYPES: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', svg: 'image/svg+xml', gif: 'image/gif' };

let filterFile: Promise<string> | null = null;
const luaFilter = () =>
  (filterFile ??= (async () => {
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'runbox-statement-')), 'safe.lua');
    await writeFile(file, LUA_FILTER);
    return file;
  })());

/** The statement in English if there is one, else the first language found. */
export async function renderStatement(pkg: PackageFiles): Promise<Statement> {
  const candidates = filesUnder(pkg, 'problem_statement').filter(([name]) => /^problem(\.[a-z]{2,3}(-[A-Z]{2})?)?\.(tex|md)$/.test(name));
  if (candidates.length === 0) throw new PackageError('problem_statement/', 'has no problem.<language>.tex or problem.<language>.md');
  const rank = (name: string) => (/^problem\.(en\.)?(tex|md)$/.test(name) ? 0 : 1);
  const [name, data] = [...candidates].sort((a, b) => rank(a[0]) - rank(b[0]) || (a[0] < b[0] ? -1 : 1))[0]!;
  const file = `problem_statement/${name}`;
  const source = textOf(file, data);
  const latex = name.endsWith('.tex');
  const title = latex ? latexTitle(source) : (/^#\s+(.+)$/m.exec(source)?.[1]?.trim() ?? null);
  const body = latex ? `${PROBLEMTOOLS_MACROS}\n${source}` : source.replace(/^#\s+.+\n+/m, '');
  let html: string;
  try {
    const converted = await execa(
      'pandoc',
      // LaTeX's \section* would be <h1>, the page's title level: one level down, as Markdown's ## is
      ['--from', latex ? 'latex' : 'markdown-raw_html-raw_tex', '--to', 'html5', '--mathjax', '--lua-filter', await luaFilter(), '--wrap', 'none', ...(latex ? ['--shift-heading-level-by=1'] : [])],
      { input: body, timeout: PANDOC_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
    );
    html = converted.stdout;
  } catch (err) {
    const e = err as { code?: string; stderr?: string; timedOut?: boolean; message: string };
    if (e.code === 'ENOENT') throw new Error('pandoc is not installed: scripts/setup.sh installs it');
    throw new PackageError(file, e.timedOut ? `pandoc gave up after ${PANDOC_TIMEOUT_MS / 1000} s` : `pandoc could not read it: ${(e.stderr || e.message).trim().split('\n')[0]}`);
  }
  return { title, html: inlineImages(typesetMath(html), pkg), file, markdown: latex ? null : body.trimEnd() };
}

/** The argument of \problemname{...} (braces inside it balanced). */
function latexTitle(source: string): string | null {
  const plain = /^%%\s*plainproblemname:\s*(.+)$/m.exec(source)?.[1];
  if (plain) return plain.trim();
  const start = source.indexOf('\\problemname{');
  if (start < 0) return null;
  let depth = 0;
  for (let i = start + '\\problemname'.length; i < source.length; i++) {
    if (source[i] === '{') depth++;
    else if (source[i] === '}' && --depth === 0) return source.slice(start + '\\problemname{'.length, i).replace(/\s+/g, ' ').trim();
  }
  return null;
}

const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

/** pandoc's --mathjax spans, typeset by KaTeX (its own HTML, escaped; errors shown in place, never thrown). */
function typesetMath(html: string): string {
  return html.replace(/<span class="math (inline|display)">\\[([]([\s\S]*?)\\[)\]]<\/span>/g, (_all, kind: string, tex: string) =>
    katex.renderToString(unescape(tex), { displayMode: kind === 'display', throwOnError: false, trust: false, strict: 'ignore', maxExpand: 1000, maxSize: 50 }),
  );
}

/** Figures from problem_statement/ as data: URLs (an image elsewhere, or of another type, is left out). */
function inlineImages(html: string, pkg: PackageFiles): string {
  return html.replace(/<img src="([^"]*)"/g, (_all, src: string) => {
    const name = unescape(src);
    const base = `problem_statement/${name}`;
    const found = [base, ...Object.keys(IMAGE_TYPES).map((ext) => `${base}.${ext}`)].find((candidate) => pkg.files.has(candidate) && IMAGE_TYPES[candidate.split('.').pop()!.toLowerCase()]);
    if (!found) return '<img alt="(figure not available)" src=""';
    const type = IMAGE_TYPES[found.split('.').pop()!.toLowerCase()]!;
    return `<img src="data:${type};base64,${pkg.files.get(found)!.toString('base64')}"`;
  });
}
