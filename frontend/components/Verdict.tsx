import type { JudgeResponse, JudgeTestResult } from '../lib/api';
import { formatMemory, JUDGE_STATUS } from '../lib/status';
import CompilerOutput from './CompilerOutput';

/** A judged submission: the overall verdict, one table row per test, and what the samples printed. */
export default function Verdict({ result }: { result: JudgeResponse }) {
  const overall = JUDGE_STATUS[result.status];
  const samples = result.tests.filter((t) => !t.hidden && t.input !== undefined);
  return (
    <section className="result verdict" aria-label="Verdict" data-status={result.status}>
      <div className="result-head">
        <span className={`badge badge-${overall.tone}`} data-testid="judge-status">
          {overall.label}
        </span>
        <span data-testid="judge-passed">
          {result.passed}/{result.total} tests passed
        </span>
        {result.tests.length > 0 && (
          <dl className="stats">
            <div>
              <dt>Slowest</dt>
              <dd>{result.timeMs} ms</dd>
            </div>
            <div>
              <dt>Memory</dt>
              <dd>{formatMemory(result.memoryKb)}</dd>
            </div>
          </dl>
        )}
      </div>
      <CompilerOutput compile={result.compile} />
      {result.tests.length > 0 && (
        <div className="table-wrap">
          <table className="verdict-table" data-testid="verdict-table">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Test</th>
                <th scope="col">Verdict</th>
                <th scope="col">Time</th>
                <th scope="col">Memory</th>
              </tr>
            </thead>
            <tbody>
              {result.tests.map((t) => {
                const verdict = JUDGE_STATUS[t.status];
                return (
                  <tr key={t.index} data-testid="verdict-row" data-status={t.status}>
                    <td>{t.index}</td>
                    <td>{t.hidden ? 'Hidden' : 'Sample'}</td>
                    <td className={`tone-${verdict.tone}`}>{verdict.label}</td>
                    <td>{t.timeMs} ms</td>
                    <td>{formatMemory(t.memoryKb)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {samples.map((t) => (
        <SampleDetail key={t.index} test={t} />
      ))}
    </section>
  );
}

/** A sample test's input, expected output and the program's output; open when it failed. */
function SampleDetail({ test }: { test: JudgeTestResult }) {
  return (
    <details className="sample-detail" open={test.status !== 'accepted'} data-testid="sample-detail">
      <summary>
        Sample test {test.index}: {JUDGE_STATUS[test.status].label.toLowerCase()}
      </summary>
      <div className="io-grid">
        <div className="stream">
          <h3>Input</h3>
          <pre>{test.input}</pre>
        </div>
        <div className="stream">
          <h3>Expected output</h3>
          <pre>{test.expected}</pre>
        </div>
        <div className="stream">
          <h3>Your output</h3>
          <pre data-testid="sample-stdout">{test.stdout || <span className="empty">(no output)</span>}</pre>
        </div>
      </div>
      {test.stderr && (
        <div className="stream">
          <h3>Errors (stderr)</h3>
          <pre className="stderr">{test.stderr}</pre>
        </div>
      )}
    </details>
  );
}
