import type { ExecuteResponse } from '../lib/api';
import { formatMemory, RUN_STATUS } from '../lib/status';
import CompilerOutput from './CompilerOutput';

/** How a run ended: status, exit, times, memory, the compiler's output and notices. Its output is in the console. */
export default function ResultPanel({ result, stopReason = null }: { result: ExecuteResponse; stopReason?: string | null }) {
  const status = RUN_STATUS[result.status];
  const ran = result.status !== 'compile_error';
  return (
    <section className="result" aria-label="Result" data-status={result.status}>
      <div className="result-head">
        <span className={`badge badge-${status.tone}`} data-testid="status-badge">
          {status.label}
        </span>
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
