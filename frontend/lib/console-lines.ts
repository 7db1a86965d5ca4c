/**
 * Two output streams into one console without splicing lines. Pipes deliver stdout and
 * stderr in blocks that end anywhere, often mid-line; written as they come, the end of one
 * stream's line and the start of the other's would join ("10" + "1\n3" shows "101"). Each
 * stream's unfinished line is held back until its newline comes, so only whole lines are
 * drawn and each line is drawn when it was finished. A held line is drawn on its own when
 * asked (`flush`: a prompt waiting for input, the end of the run); the other stream's next
 * line then starts on a line of its own.
 */
export type Stream = 'stdout' | 'stderr';

export class LineJoiner {
  private readonly held: Record<Stream, string> = { stdout: '', stderr: '' };
  /** the stream whose unfinished line ends what the console shows, if one does */
  private open: Stream | null = null;

  constructor(private readonly draw: (stream: Stream, text: string) => void) {}

  /** Output of one stream: its whole lines are drawn, the rest is held. */
  add(stream: Stream, text: string): void {
    const all = this.held[stream] + text;
    const end = all.lastIndexOf('\n') + 1;
    this.held[stream] = all.slice(end);
    if (end > 0) this.show(stream, all.slice(0, end));
  }

  /** Whether a stream holds an unfinished line. */
  holds(stream: Stream): boolean {
    return this.held[stream] !== '';
  }

  /** Draws what a stream holds of an unfinished line (a prompt, the run's last words). */
  flush(stream: Stream): void {
    const text = this.held[stream];
    this.held[stream] = '';
    if (text) this.show(stream, text);
  }

  /** The console's cursor is at the start of a line again (the visitor pressed Enter). */
  lineEnded(): void {
    this.open = null;
  }

  /** Everything held is forgotten (the console was cleared). */
  reset(): void {
    this.held.stdout = '';
    this.held.stderr = '';
    this.open = null;
  }

  private show(stream: Stream, text: string): void {
    if (this.open !== null && this.open !== stream) this.draw(stream, '\n');
    this.draw(stream, text);
    this.open = text.endsWith('\n') ? null : stream;
  }
}
