'use client';

export interface FontSizeControlProps {
  /** the editor's text size in px */
  size: number;
  min: number;
  max: number;
  onChange(size: number): void;
}

/** A− and A+: the text of the editor and the console, smaller or larger together. */
export default function FontSizeControl({ size, min, max, onChange }: FontSizeControlProps) {
  return (
    <div className="font-size" role="group" aria-label="Text size of the editor and the console">
      {/* the buttons' "A−" and "A+" are drawn by the style sheet: their names are the words */}
      <button type="button" className="font-smaller" onClick={() => onChange(size - 1)} disabled={size <= min} aria-label="Smaller text" title="Smaller text in the editor and the console" />
      <output className="font-size-value" aria-live="polite" data-testid="font-size">
        {size}px
      </output>
      <button type="button" className="font-larger" onClick={() => onChange(size + 1)} disabled={size >= max} aria-label="Larger text" title="Larger text in the editor and the console" />
    </div>
  );
}
