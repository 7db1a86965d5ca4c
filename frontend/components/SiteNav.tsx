import Link from 'next/link';
import type { Theme } from '../lib/theme';

/** The links between the app's pages, in every page's header (the admin's page is not linked: admins know its address). */
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
