import type { ExecuteResponse } from '../lib/api';
import { formatMemory, RUN_STATUS } from '../lib/status';
import CompilerOutput from './CompilerOutput';

/** A limit in seconds as people say it: "2 s", "1.5 s", "500 ms". */
const seconds = (ms: number): string => (ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`);

/**
 * Which time limit ended a run, in plain words: its name and size beside the status ("CPU
 * time, 2 s"), and what it means. Null when no time limit did (a run stopped from outside,
 * such as a live run left idle, says so in its stop reason).
 */
function timeLimitWords(r: ExecuteResponse): { which: string; meaning: string } | null {
  if (r.status !== 'timeout' || !r.timeLimit) return null;
  const size = r.timeLimitMs === undefined ? '' : seconds(r.timeLimitMs);
  if (r.timeLimit === 'cpu') {
    return {
      which: size ? `CPU time, ${size}` : 'CPU time',
      meaning: `The program used up its ${size ? `${size} of ` : ''}CPU time: the processor's time spent computing for it, all its threads together. An endless loop ends like this.`,
    };
  }
  return {
    which: size ? `wall clock, ${size}` : 'wall clock',
    meaning: `The program was still running after ${size || 'its time limit'} on the clock: time spent waiting (sleeping, or for input) counts too.`,
  };
}

/** How a run ended: status, exit, times, memory, the compiler's output and notices. Its output is in the console. */
export default function ResultPanel({ result, stopReason = null }: { result: ExecuteResponse; stopReason?: string | null }) {
  const status = RUN_STATUS[result.status];
  const ran = result.status !== 'compile_error';
  const timeLimit = timeLimitWords(result);
  return (
    <section className="result" aria-label="Result" data-status={result.status}>
      <div className="result-head">
        <span className={`badge badge-${status.tone}`} data-testid="status-badge">
          {status.label}
        </span>
        {timeLimit && <span data-testid="time-limit">({timeLimit.which})</span>}
        {ran && (
          <dl className="stats">
            <div>
              <dt>{result.signal ? 'Signal' : 'Exit code'}</dt>
              <dd data-testid="exit">{result.signal ?? result.exitCode ?? '—'}</dd>
            </div>
            <div>
              <dt>Time</dt>
              <dd>{result.timeMs} ms</dd>
            </div>
            <div>
              <dt>CPU</dt>
              <dd>{result.cpuTimeMs === null ? '—' : `${result.cpuTimeMs} ms`}</dd>
            </div>
            <div>
              <dt>Memory</dt>
              <dd>{formatMemory(result.memoryKb)}</dd>
            </div>
          </dl>
        )}
      </div>
      <CompilerOutput compile={result.compile} />
      {timeLimit && (
        <p className="notice" role="note" data-testid="time-limit-meaning">
          {timeLimit.meaning}
        </p>
      )}
      {stopReason && result.status !== 'killed' && (
        // a limit of live runs (the idle limit): the badge alone would not say which
        <p className="notice" role="note" data-testid="stop-reason">
          The server stopped it: {stopReason}.
        </p>
      )}
      {ran && !result.output && (
        <p className="empty" data-testid="no-output">
          The program printed nothing.
        </p>
      )}
      {result.truncated && (
        <p className="notice" role="note">
          The output was cut: it went over the size limit.
        </p>
      )}
      {result.processLimitHit && (
        // the status follows the exit, which may be 0: this line is what tells such a run apart
        <p className="notice" role="note" data-testid="process-limit">
          The program hit the process/thread limit ({result.processLimit}): a thread or process it tried to start was refused.
        </p>
      )}
    </section>
  );
}
