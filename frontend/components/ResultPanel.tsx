import type { ExecuteResponse } from '../lib/api';
import { formatMemory, RUN_STATUS } from '../lib/status';
import CompilerOutput from './CompilerOutput';

export default function ResultPanel({ result }: { result: ExecuteResponse }) {
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
      {ran && (
        <>
          <div className="stream">
            <h3>Output</h3>
            <pre className="stdout" data-testid="stdout">
              {result.stdout || <span className="empty">(no output)</span>}
            </pre>
          </div>
          {result.stderr && (
            <div className="stream">
              <h3>Errors (stderr)</h3>
              <pre className="stderr" data-testid="stderr">
                {result.stderr}
              </pre>
            </div>
          )}
        </>
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
