import type { JudgeGroupResult, JudgeResponse, JudgeTestResult } from '../lib/api';
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
        {result.score !== undefined && (
          <span className="score" data-testid="judge-score">
            Score: {formatScore(result.score)}
          </span>
        )}
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
      {result.tests.length > 0 && <TestTable result={result} />}
      {samples.map((t) => (
        <SampleDetail key={t.index} test={t} />
      ))}
    </section>
  );
}

const formatScore = (score: number): string => String(Math.round(score * 1000) / 1000);

/**
 * One row per test; a package's tests under their group's row (its verdict, tests passed
 * and, on a scoring problem, its score), and what the validator told the author below a test.
 */
function TestTable({ result }: { result: JudgeResponse }) {
  const scoring = result.score !== undefined;
  const columns = scoring ? 6 : 5;
  const groups = result.groups ?? [];
  const sections: { group: JudgeGroupResult | null; tests: JudgeTestResult[] }[] =
    groups.length === 0
      ? [{ group: null, tests: result.tests }]
      : [
          ...groups.map((g) => ({ group: g, tests: result.tests.filter((t) => t.group === g.name) })),
          // a test of no group listed (not expected): still shown
          { group: null, tests: result.tests.filter((t) => !groups.some((g) => g.name === t.group)) },
        ].filter((s) => s.group !== null || s.tests.length > 0);
  const skipped = result.total - result.tests.length;
  return (
    <div className="table-wrap">
      <table className="verdict-table" data-testid="verdict-table">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Test</th>
            <th scope="col">Verdict</th>
            <th scope="col">Time</th>
            <th scope="col">Memory</th>
            {scoring && <th scope="col">Score</th>}
          </tr>
        </thead>
        {sections.map(({ group, tests }, i) => (
          <tbody key={group?.name ?? `none-${i}`} data-testid={group ? 'verdict-group' : undefined} data-group={group?.name} data-status={group?.status}>
            {group && <GroupRow group={group} columns={columns} />}
            {tests.map((t) => (
              <TestRows key={t.index} test={t} scoring={scoring} columns={columns} />
            ))}
          </tbody>
        ))}
      </table>
      {skipped > 0 && result.status !== 'compile_error' && (
        <p className="meta" data-testid="tests-not-run">
          {skipped} test{skipped === 1 ? ' was' : 's were'} not run: judging stopped after a test failed.
        </p>
      )}
    </div>
  );
}

function GroupRow({ group, columns }: { group: JudgeGroupResult; columns: number }) {
  const verdict = JUDGE_STATUS[group.status];
  return (
    <tr className="group-row">
      <th scope="rowgroup" colSpan={columns}>
        <span className="group-name">{group.name}</span> <span className={`tone-${verdict.tone}`}>{verdict.label}</span>
        <span className="group-facts">
          {' '}
          · {group.passed}/{group.total} passed{group.score !== undefined && ` · score ${formatScore(group.score)}`}
        </span>
      </th>
    </tr>
  );
}

function TestRows({ test: t, scoring, columns }: { test: JudgeTestResult; scoring: boolean; columns: number }) {
  const verdict = JUDGE_STATUS[t.status];
  return (
    <>
      <tr data-testid="verdict-row" data-status={t.status}>
        <td>{t.index}</td>
        <td>{t.hidden ? 'Hidden' : 'Sample'}</td>
        <td className={`tone-${verdict.tone}`}>{verdict.label}</td>
        <td>{t.timeMs} ms</td>
        <td>{formatMemory(t.memoryKb)}</td>
        {scoring && <td>{t.score === undefined ? '—' : formatScore(t.score)}</td>}
      </tr>
      {t.message && (
        <tr className="message-row">
          <td />
          <td colSpan={columns - 1}>
            <span className="meta">Judge&rsquo;s message: </span>
            <span className="test-message" data-testid="test-message">
              {t.message}
            </span>
          </td>
        </tr>
      )}
    </>
  );
}

/** A sample test's input, expected output and the program's output; open when it failed. */
function SampleDetail({ test }: { test: JudgeTestResult }) {
  return (
    <details className="sample-detail" open={test.status !== 'accepted'} data-testid="sample-detail">
      <summary>
        Sample test {test.index}
        {test.name && ` (${test.name})`}: {JUDGE_STATUS[test.status].label.toLowerCase()}
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
