import type { ExecuteResponse } from '../lib/api';
import type { SampleCheck } from '../lib/sample-check';
import { formatMemory, RUN_STATUS, type Tone } from '../lib/status';
import CompilerOutput from './CompilerOutput';

/** One run of the program on a problem page: on a sample (with its answer) or on the visitor's own input. */
export interface SampleRun {
  /** "Sample 1", or "Your input" */
  label: string;
  input: string;
  /** the sample's answer; null for the visitor's own input */
  expected: string | null;
  result: ExecuteResponse;
  /** the output against the answer, when the program ran to its end */
  check: SampleCheck | null;
}

export interface SampleRunsProps {
  runs: SampleRun[];
  /** runs still to come (they are shown as they finish) */
  pending: number;
  /** a package's problem with a validator of its own: it may accept output that differs here */
  ownValidator: boolean;
}

/** What a run said, in words: the run's status, or whether a sample's output matches its answer. */
function outcome(run: SampleRun): { label: string; tone: Tone } {
  if (run.result.status !== 'ok') return RUN_STATUS[run.result.status];
  if (!run.check) return RUN_STATUS.ok;
  return run.check.matches ? { label: 'Matches the expected output', tone: 'good' } : { label: 'Differs from the expected output', tone: 'bad' };
}

/**
 * Runs on the samples or on custom input: not a submission, nothing is judged or kept. Each
 * sample shows its input, the expected output and the program's, and whether they match.
 */
export default function SampleRuns({ runs, pending, ownValidator }: SampleRunsProps) {
  const samples = runs.filter((r) => r.expected !== null);
  const matching = samples.filter((r) => r.check?.matches).length;
  const compiled = runs.find((r) => r.result.compile?.output)?.result.compile ?? null;
  const custom = runs.length > 0 && samples.length === 0;
  return (
    <section className="result sample-runs" aria-labelledby="sample-runs-title" data-testid="sample-runs" data-state={pending > 0 ? 'running' : 'done'}>
      <h3 id="sample-runs-title">{custom ? 'Run on your input' : 'Run on the samples'}</h3>
      <p role="status" data-testid="run-summary">
        {pending > 0
          ? `Running… ${runs.length} done, ${pending} to go.`
          : runs[0]?.result.status === 'compile_error'
            ? 'It did not compile, so nothing ran.'
            : custom
              ? `${RUN_STATUS[runs[0]!.result.status].label}. This was a run, not a submission.`
              : `${matching} of ${samples.length} sample${samples.length === 1 ? '' : 's'} match${samples.length === 1 ? 'es' : ''} the expected output. This was a run, not a submission.`}
      </p>
      <CompilerOutput compile={compiled} />
      {runs.map((run, i) =>
        run.result.status === 'compile_error' ? null : (
          <RunDetail key={i} run={run} />
        ),
      )}
      {ownValidator && samples.length > 0 && pending === 0 && matching < samples.length && (
        <p className="notice" role="note">
          Compared with the sample&rsquo;s answer. This problem has a checker of its own, which may accept another right answer: Submit to know.
        </p>
      )}
    </section>
  );
}

function RunDetail({ run }: { run: SampleRun }) {
  const said = outcome(run);
  const { result } = run;
  return (
    <details className="sample-detail" open data-testid="sample-run" data-status={result.status} data-match={run.check ? String(run.check.matches) : undefined}>
      <summary>
        {run.label}: <span className={`tone-${said.tone}`}>{said.label}</span>
        <span className="meta">
          {' '}
          · {result.cpuTimeMs ?? result.timeMs} ms · {formatMemory(result.memoryKb)}
        </span>
      </summary>
      {run.check && !run.check.matches && run.check.message && (
        <p className="diff-note" data-testid="sample-run-diff">
          Where: {run.check.message}
        </p>
      )}
      <div className="io-grid">
        <div className="stream">
          <h4>Input</h4>
          <pre>{run.input || <span className="empty">(no input)</span>}</pre>
        </div>
        {run.expected !== null && (
          <div className="stream">
            <h4>Expected output</h4>
            <pre data-testid="sample-run-expected">{run.expected}</pre>
          </div>
        )}
        <div className="stream">
          <h4>Your output</h4>
          <pre data-testid="sample-run-stdout">{result.stdout || <span className="empty">(no output)</span>}</pre>
        </div>
      </div>
      {result.stderr && (
        <div className="stream">
          <h4>Errors (stderr)</h4>
          <pre className="stderr">{result.stderr}</pre>
        </div>
      )}
      {result.truncated && (
        <p className="notice" role="note">
          The output was cut: it went over the size limit.
        </p>
      )}
    </details>
  );
}
