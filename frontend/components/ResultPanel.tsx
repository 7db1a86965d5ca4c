import type { ExecuteResponse } from '../lib/api';

/** What each status means, in words a beginner understands. */
const STATUS: Record<ExecuteResponse['status'], { label: string; tone: 'good' | 'bad' | 'warn' }> = {
  ok: { label: 'Success', tone: 'good' },
  compile_error: { label: 'Compile error', tone: 'bad' },
  runtime_error: { label: 'Runtime error', tone: 'bad' },
  timeout: { label: 'Time limit exceeded', tone: 'warn' },
  memory_limit: { label: 'Memory limit exceeded', tone: 'warn' },
  output_limit: { label: 'Output limit exceeded', tone: 'warn' },
  internal_error: { label: 'Internal error', tone: 'bad' },
};

function formatMemory(kb: number | null): string {
  if (kb === null) return '—';
  return kb >= 1024 ? `${(kb / 1024).toFixed(1)} MB` : `${kb} KB`;
}

export default function ResultPanel({ result }: { result: ExecuteResponse }) {
  const status = STATUS[result.status];
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
      {result.compile && result.compile.output && (
        <div className="stream">
          <h3>Compiler output{result.compile.cached ? ' (cached build)' : ''}</h3>
          <pre className="compiler" data-testid="compiler-output">
            {result.compile.output}
          </pre>
        </div>
      )}
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
    </section>
  );
}
