'use client';

import { useRef, type KeyboardEvent, type PointerEvent, type RefObject } from 'react';

export interface PaneSplitterProps {
  /** the first pane's share of the container's width, in percent */
  value: number;
  min: number;
  max: number;
  /** what a double-click goes back to */
  fallback: number;
  onChange(value: number): void;
  /** the element whose width the panes share */
  container: RefObject<HTMLElement | null>;
  /** the id of the pane it sizes */
  controls: string;
  label: string;
}

/** How far an arrow key moves it (Shift: further), in percent. */
const STEP = 2;
const BIG_STEP = 10;

/**
 * The bar between two side-by-side panes (the WAI-ARIA window splitter): drag it with a mouse,
 * a pen or a finger; or focus it and press the arrow keys (Shift for bigger steps), Home and
 * End. A double-click puts it back where it started.
 */
export default function PaneSplitter({ value, min, max, fallback, onChange, container, controls, label }: PaneSplitterProps) {
  const dragging = useRef(false);

  const follow = (e: PointerEvent<HTMLDivElement>) => {
    const box = container.current?.getBoundingClientRect();
    if (!dragging.current || !box || box.width === 0) return;
    onChange(((e.clientX - box.left) / box.width) * 100);
  };
  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    if (e.button !== 0) return;
    e.preventDefault(); // no text selection while dragging
    e.currentTarget.setPointerCapture(e.pointerId);
    e.currentTarget.focus();
    dragging.current = true;
  };
  const onPointerUp = (e: PointerEvent<HTMLDivElement>) => {
    dragging.current = false;
    if (e.currentTarget.hasPointerCapture(e.pointerId)) e.currentTarget.releasePointerCapture(e.pointerId);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const step = e.shiftKey ? BIG_STEP : STEP;
    const next = { ArrowLeft: value - step, ArrowRight: value + step, Home: min, End: max }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    onChange(next);
  };

  const now = Math.round(value);
  return (
    <div
      className="pane-splitter"
      role="separator"
      tabIndex={0}
      aria-label={label}
      aria-controls={controls}
      aria-orientation="vertical"
      aria-valuemin={min}
      aria-valuemax={max}
      aria-valuenow={now}
      aria-valuetext={`${now}% of the width`}
      title="Drag, or use the arrow keys, to share the width between the editor and the output"
      onPointerDown={onPointerDown}
      onPointerMove={follow}
      onPointerUp={onPointerUp}
      onPointerCancel={onPointerUp}
      onLostPointerCapture={() => {
        dragging.current = false;
      }}
      onDoubleClick={() => onChange(fallback)}
      onKeyDown={onKeyDown}
    />
  );
}
