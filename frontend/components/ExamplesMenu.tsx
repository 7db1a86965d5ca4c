'use client';

import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { LanguageExample } from '../../backend/src/protocol.js';

export interface ExamplesMenuProps {
  /** the shown language's name and examples (from its entry); undefined until the languages are known */
  language: { name: string; examples: readonly LanguageExample[] } | undefined;
  onChoose(example: LanguageExample): void;
  /** puts the language's template back */
  onReset(): void;
}

const MENU_ID = 'examples-menu';

/**
 * The Examples button and what it opens (a disclosure: a button and a list of buttons, not an
 * ARIA menu): the language's examples and "Reset to the template". Arrow keys move between
 * the items, Escape closes it and goes back to the button; so do a choice and a click or
 * focus elsewhere. Whether the editor's code may be replaced is the page's question.
 */
export default function ExamplesMenu({ language, onChoose, onReset }: ExamplesMenuProps) {
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!open) return;
    const away = (e: Event) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', away);
    document.addEventListener('focusin', away);
    return () => {
      document.removeEventListener('pointerdown', away);
      document.removeEventListener('focusin', away);
    };
  }, [open]);

  const close = () => {
    setOpen(false);
    button.current?.focus();
  };
  const pick = (action: () => void) => {
    close();
    action();
  };
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (!open) return;
    if (e.key === 'Escape') {
      // the page's own Escape (a maximised console) is not for this one
      e.preventDefault();
      e.stopPropagation();
      return close();
    }
    const items = [...(root.current?.querySelectorAll<HTMLButtonElement>(`#${MENU_ID} button`) ?? [])];
    const at = items.indexOf(document.activeElement as HTMLButtonElement);
    const next = { ArrowDown: at + 1, ArrowUp: at <= 0 ? items.length - 1 : at - 1, Home: 0, End: items.length - 1 }[e.key];
    if (next === undefined || items.length === 0) return;
    e.preventDefault();
    items[next % items.length]!.focus();
  };

  return (
    <div className="examples" ref={root} onKeyDown={onKeyDown} data-own-escape={open || undefined}>
      <button
        ref={button}
        type="button"
        aria-expanded={open}
        aria-controls={MENU_ID}
        disabled={!language}
        onClick={() => setOpen((o) => !o)}
        title="Example programs, and the template to start again from"
      >
        Examples <span aria-hidden="true">▾</span>
      </button>
      {open && language && (
        <div id={MENU_ID} className="examples-menu" role="group" aria-label={`${language.name} examples`}>
          {language.examples.length > 0 && (
            <ul>
              {language.examples.map((example) => (
                <li key={example.title}>
                  <button type="button" onClick={() => pick(() => onChoose(example))}>
                    {example.title}
                  </button>
                </li>
              ))}
            </ul>
          )}
          <button type="button" className="examples-reset" onClick={() => pick(onReset)}>
            Reset to the template
          </button>
        </div>
      )}
    </div>
  );
}
