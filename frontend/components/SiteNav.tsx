import Link from 'next/link';
import { API_DOCS_URL } from '../lib/api';
import type { Theme } from '../lib/theme';

/**
 * The links between the app's pages, in every page's header (the admin's page is not linked:
 * admins know its address), and the API's reference, a page of the API's own (not this app's).
 */
export type SitePage = 'playground' | 'problems' | 'status' | 'admin';

export function SiteNav({ current }: { current: SitePage }) {
  return (
    <nav className="site-nav" aria-label="Pages">
      <Link href="/" aria-current={current === 'playground' ? 'page' : undefined}>
        Playground
      </Link>
      <Link href="/problems" aria-current={current === 'problems' ? 'page' : undefined}>
        Problems
      </Link>
      <Link href="/status" aria-current={current === 'status' ? 'page' : undefined}>
        Status
      </Link>
      <a href={API_DOCS_URL} data-testid="nav-api-docs">
        API docs
      </a>
    </nav>
  );
}

export function ThemeButton({ theme, onToggle }: { theme: Theme; onToggle(): void }) {
  return (
    <button type="button" className="theme" onClick={onToggle} aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}>
      {theme === 'dark' ? '☀ Light' : '☾ Dark'}
    </button>
  );
}
