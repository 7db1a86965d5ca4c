'use client';

import Link from 'next/link';
import { useEffect, useState } from 'react';
import { useTheme } from '../lib/theme';
import Toolbar from './Toolbar';

/**
 * The page of an address the app has no page for (app/not-found.tsx, answered with status
 * 404): the site's header, the address asked for, and the ways back.
 */
export default function NotFoundView() {
  const { theme, toggleTheme } = useTheme();
  // the browser's address, read once on the page: the page is made once at build, for every such address
  const [path, setPath] = useState<string | null>(null);
  useEffect(() => setPath(window.location.pathname), []);
  return (
    <div className="page">
      {/* no page of the links is this one: "admin", the one page they do not link, marks none */}
      <Toolbar current="admin" theme={theme} onToggleTheme={toggleTheme} />
      <main className="content not-found">
        <h2>Page not found</h2>
        <p>
          There is no page at {path ? <code data-testid="missing-path">{path}</code> : 'this address'}. The link may be mistyped, or what it pointed to is gone.
        </p>
        <ul className="not-found-links">
          <li>
            <Link href="/">Open the playground</Link>: write code and run it in your browser.
          </li>
          <li>
            <Link href="/problems">Browse the problems</Link>: solve one and have it judged.
          </li>
        </ul>
      </main>
    </div>
  );
}
