import type { CompileResult } from '../lib/api';

/** The compiler's messages of a run or a judged submission, when it printed any. */
export default function CompilerOutput({ compile }: { compile: CompileResult | null }) {
  if (!compile?.output) return null;
  return (
    <div className="stream">
      <h3>Compiler output{compile.cached ? ' (cached build)' : ''}</h3>
      <pre className="compiler" data-testid="compiler-output">
        {compile.output}
      </pre>
    </div>
  );
}
