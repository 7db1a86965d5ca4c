import type { ProblemPackageView } from '../protocol.js';
import type { StoredPackage } from './stored-package.js';

/** What the API shows of a package's settings: never the validator's code nor the judge's files. */
export function packageView(pkg: StoredPackage): ProblemPackageView {
  return {
    statementHtml: pkg.statementHtml,
    type: pkg.type,
    interactive: pkg.validation.kind === 'custom' && pkg.validation.interactive,
    validation: pkg.validation.kind === 'default' ? { kind: 'default', flags: pkg.validation.flags } : { kind: 'custom' },
    interactions: pkg.interactions,
    outputLimitKb: pkg.outputLimitKb,
    groups: pkg.groups.map((g) => g.path).filter((path) => path !== ''),
    source: pkg.source,
    sourceUrl: pkg.sourceUrl,
    author: pkg.author,
    license: pkg.license,
  };
}
