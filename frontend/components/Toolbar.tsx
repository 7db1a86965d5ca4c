import type { ReactNode } from 'react';
import type { Theme } from '../lib/theme';
import { SiteNav, ThemeButton, type SitePage } from './SiteNav';

export interface ToolbarProps {
  current: SitePage;
  theme: Theme;
  onToggleTheme(): void;
  /** the page's own controls, between the links and the theme button */
  children?: ReactNode;
}

/** Every page's header: the name, the links between pages, the page's controls, the theme. */
export default function Toolbar({ current, theme, onToggleTheme, children }: ToolbarProps) {
  return (
    <header className="toolbar">
      <h1>runbox</h1>
      <SiteNav current={current} />
      {children}
      <ThemeButton theme={theme} onToggle={onToggleTheme} />
    </header>
  );
}
