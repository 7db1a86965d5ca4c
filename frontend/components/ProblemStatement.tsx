'use client';

// KaTeX's stylesheet and fonts, bundled from the katex package into this app's own static
// files: a package's math is typeset on the server and needs no script, only these
import 'katex/dist/katex.min.css';
import { useLayoutEffect, useRef, type ReactNode } from 'react';
import Markdown from 'react-markdown';
import type { ProblemPackageView, ProblemResponse } from '../lib/api';
import { formatLimits, formatOutputLimit, formatTests } from '../lib/format';
import { statementNodes } from '../lib/statement-html';

/**
 * A problem as its author wrote it: title, limits, the statement (a package's HTML with its
 * math, or Markdown), the samples (an interactive problem's conversations instead) and, for
 * a package, where it comes from.
 */
export default function ProblemStatement({ problem }: { problem: ProblemResponse }) {
  const pkg = problem.package;
  return (
    <article className="statement" aria-labelledby="problem-title">
      <h2 id="problem-title">{problem.title}</h2>
      <p className="meta" data-testid="limits">
        {formatLimits(problem)}
        {pkg && ` · output ${formatOutputLimit(pkg.outputLimitKb)}`} · {formatTests(problem)}
      </p>
      {pkg ? (
        <PackageStatement html={pkg.statementHtml} />
      ) : (
        <div className="markdown" data-testid="statement">
          {/* no raw HTML from a statement ever reaches the page; links are sanitised too */}
          {/* no images: the page fetches nothing from other hosts, and visitors' addresses stay here */}
          <Markdown skipHtml disallowedElements={['img']}>
            {problem.statement}
          </Markdown>
        </div>
      )}
      {pkg?.interactive ? <Interactions interactions={pkg.interactions} /> : <Samples samples={problem.samples} />}
      {pkg && <Credit pkg={pkg} />}
    </article>
  );
}

/** A package's statement: its (sanitised) HTML as inert nodes, never run; KaTeX's CSS draws the math. */
function PackageStatement({ html }: { html: string }) {
  const box = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    box.current?.replaceChildren(statementNodes(html));
  }, [html]);
  return <div className="markdown package-statement" data-testid="statement" ref={box} />;
}

function Samples({ samples }: { samples: ProblemResponse['samples'] }) {
  if (samples.length === 0) return null;
  return (
    <section className="samples" aria-labelledby="samples-title">
      <h3 id="samples-title">Sample tests</h3>
      {samples.map((s, i) => (
        <div className="io-grid" key={i}>
          <div className="stream">
            <h4>Sample {i + 1}: input</h4>
            <pre data-testid="sample-input">{s.input}</pre>
          </div>
          <div className="stream">
            <h4>Expected output</h4>
            <pre data-testid="sample-expected">{s.expected}</pre>
          </div>
        </div>
      ))}
    </section>
  );
}

type Said = { kind: 'reads' | 'writes' | 'pass' | 'other'; text: string };

/**
 * An interaction protocol's lines, as problemtools reads them: `<` what the program reads
 * (the judge's side), `>` what it writes; `---` starts the next pass of a multi-pass problem.
 */
function dialogue(text: string): Said[] {
  return text
    .replace(/\n$/, '')
    .split('\n')
    .map((line): Said => {
      if (line.startsWith('---')) return { kind: 'pass', text: '' };
      if (line.startsWith('<')) return { kind: 'reads', text: line.slice(1) };
      if (line.startsWith('>')) return { kind: 'writes', text: line.slice(1) };
      return { kind: 'other', text: line };
    });
}

/** An interactive problem's samples: each a conversation between the judge and the program, in two columns. */
function Interactions({ interactions }: { interactions: ProblemPackageView['interactions'] }) {
  if (interactions.length === 0) return null;
  return (
    <section className="samples" aria-labelledby="interactions-title">
      <h3 id="interactions-title">Sample interactions</h3>
      <p className="meta">Your program talks with the judge: each row is one line, in the order they are sent.</p>
      {interactions.map((it, i) => {
        let pass = 1;
        return (
          <div className="table-wrap" key={it.name}>
            <table className="interaction" data-testid="interaction">
              <caption>
                Sample interaction {i + 1} <span className="meta">({it.name})</span>
              </caption>
              <thead>
                <tr>
                  <th scope="col">Your program reads</th>
                  <th scope="col">Your program writes</th>
                </tr>
              </thead>
              <tbody>
                {dialogue(it.text).map((said, j) =>
                  said.kind === 'pass' ? (
                    <tr key={j} className="interaction-pass">
                      <th scope="rowgroup" colSpan={2}>
                        Pass {++pass}
                      </th>
                    </tr>
                  ) : said.kind === 'other' ? (
                    <tr key={j}>
                      <td colSpan={2}>
                        <pre>{said.text}</pre>
                      </td>
                    </tr>
                  ) : (
                    <tr key={j} data-said={said.kind}>
                      <td>{said.kind === 'reads' && <pre className="said-reads">{said.text}</pre>}</td>
                      <td>{said.kind === 'writes' && <pre className="said-writes">{said.text}</pre>}</td>
                    </tr>
                  ),
                )}
              </tbody>
            </table>
          </div>
        );
      })}
    </section>
  );
}

/** Where a package's problem comes from, and under what licence. */
function Credit({ pkg }: { pkg: ProblemPackageView }) {
  const link = pkg.sourceUrl && /^https?:\/\//i.test(pkg.sourceUrl) ? pkg.sourceUrl : null;
  const parts: ReactNode[] = [];
  if (pkg.source || link)
    parts.push(
      <span key="source">
        Source:{' '}
        {link ? (
          <a href={link} rel="noopener noreferrer nofollow">
            {pkg.source ?? link}
          </a>
        ) : (
          pkg.source
        )}
      </span>,
    );
  if (pkg.author) parts.push(<span key="author">Author: {pkg.author}</span>);
  parts.push(<span key="license">Licence: {pkg.license}</span>);
  return (
    <p className="meta credit" data-testid="credit">
      {parts.flatMap((p, i) => (i === 0 ? [p] : [' · ', p]))}
    </p>
  );
}
