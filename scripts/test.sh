#!/usr/bin/env bash
# Installs everything, then runs the whole test suite as root against real users,
# compilers and processes. Ends with a "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/bin:$PATH"
bash scripts/setup.sh
mkdir -p test-output
status=0
npm test -- --json --outputFile=test-output/jest.json "$@" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync("test-output/jest.json", "utf8"));
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed`);
' || true
# the suite's own afterAll hooks check this per file; this is the independent last word
bash scripts/check-leftovers.sh || status=1
exit $status
