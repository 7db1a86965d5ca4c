/**
 * Problem packages (the Kattis problem package format, legacy version: what the ICPC
 * archives, DOMjudge and problemtools use), from a folder or a .zip/.kpp:
 *
 *   node scripts/problems.ts verify PATH   judge every solution in submissions/ against its folder's verdict
 *   node scripts/problems.ts import PATH   the same, then store the problem (if every accepted solution is accepted)
 *
 * One line per solution, then `N passed, M failed`; exit status 1 when one failed or the
 * package breaks the format (the message names the file and line). It runs a runbox of its
 * own on this machine (root, as the API) with the API's settings (DATABASE_URL or
 * RUNBOX_DATA_DIR: `import` writes where the API reads), under RUNBOX_INSTANCE (default
 * ffe) so it runs beside a running API.
 */
import { loadConfig } from '../backend/dist/config.js';
import { createLogger } from '../backend/dist/log.js';
import { loadPackage } from '../backend/dist/problems/load-package.js';
import { PackageError } from '../backend/dist/problems/package-error.js';
import { readPackage } from '../backend/dist/problems/package-files.js';
import { importVerified, verifyPackage, type SolutionReport, type VerifyReport } from '../backend/dist/problems/verify-package.js';
import { startRunbox } from '../backend/dist/server.js';

const [command, location] = process.argv.slice(2);
if ((command !== 'verify' && command !== 'import') || !location) {
  console.error('usage: node scripts/problems.ts verify|import PATH (a package folder or zip)');
  process.exit(2);
}

const config = loadConfig({ ...process.env, PORT: '0', HOST: '127.0.0.1', RUNBOX_INSTANCE: process.env.RUNBOX_INSTANCE || 'ffe', LOG_LEVEL: process.env.LOG_LEVEL || 'error' });
const logger = createLogger(config.logLevel);
const print = (r: SolutionReport) =>
  console.log(`${r.passed ? 'PASS' : 'FAIL'} ${r.path} (${r.language}): expected ${r.expected}, got ${r.status}${r.score !== undefined ? ` score ${r.score}` : ''}, slowest test ${r.slowestMs} ms of ${r.limitMs} ms`);

let status = 0;
let runbox: Awaited<ReturnType<typeof startRunbox>> | null = null;
try {
  const pkg = await readPackage(location);
  runbox = await startRunbox(config, logger);
  const loaded = await loadPackage(pkg, config, runbox.languages);
  for (const warning of loaded.warnings) console.error(`warning: ${warning}`);
  const env = { runs: runbox.runs, config, logger, languages: runbox.languages, store: runbox.store };
  const inputs = (report: VerifyReport) => {
    const { validators, checked, failed } = report.inputValidation;
    for (const f of failed) console.log(`FAIL ${f.test}: ${f.validator} ${f.message}`);
    console.log(validators.length ? `input validators: ${validators.join(', ')}: ${checked - failed.length} of ${checked} inputs valid` : 'input validators: none runbox can run');
    if (failed.length) status = 1;
  };
  if (command === 'verify') {
    const report = await verifyPackage(loaded, env, print);
    inputs(report);
    console.log(`time limit ${report.timeLimitMs} ms (from ${report.timeLimitFrom})`);
    console.log(`${report.passed} passed, ${report.failed} failed`);
    if (report.failed > 0) status = 1;
  } else {
    const imported = await importVerified(loaded, env, print);
    inputs(imported.report);
    console.log(`time limit ${imported.report.timeLimitMs} ms (from ${imported.report.timeLimitFrom})`);
    console.log(`${imported.report.passed} passed, ${imported.report.failed} failed`);
    if (imported.refused) {
      console.error(`problems: not imported: ${imported.refused}`);
      status = 1;
    } else console.log(`imported ${loaded.problem.slug} (${imported.outcome})`);
  }
} catch (err) {
  console.error(`problems: ${err instanceof PackageError ? err.message : (err as Error).message}`);
  status = 1;
} finally {
  // shutdown waits on timers the server leaves unref'd: something must keep the loop alive meanwhile
  const alive = setInterval(() => undefined, 1000);
  await runbox?.shutdown(5000);
  clearInterval(alive);
}
process.exit(status);
