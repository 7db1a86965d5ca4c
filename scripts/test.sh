#!/usr/bin/env bash
# Installs everything, then runs the whole test suite as root against real users,
# compilers and processes. Ends with a "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/bin:$PATH"
bash scripts/setup.sh
# what only the tests need: a real nginx with real TLS, a compose implementation that
# validates docker-compose.yml without a Docker engine, and Debian's Chromium for the
# playground's browser tests (playwright-core drives it; its own browser download is not used),
# PostgreSQL's server binaries: the store tests start a throwaway cluster of their own, and
# promtool (Debian ships it with Prometheus) to lint a real /metrics scrape
missing=()
for pair in nginx:nginx openssl:openssl docker-compose:docker-compose chromium:chromium promtool:prometheus; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "test: installing ${missing[*]}" >&2
  # keep apt from starting the distribution's nginx (port 80), PostgreSQL and Prometheus: the
  # tests start their own nginx and PostgreSQL, and need no Prometheus server
  policy=/usr/sbin/policy-rc.d
  [ -e "$policy" ] || { printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; trap 'rm -f "$policy"' EXIT; }
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
mkdir -p test-output
status=0
npm test -- --json --outputFile=test-output/jest.json "$@" || status=$?
reports=test-output/jest.json
# the whole suite runs on jails forked from the template (the default); the jail's own tests
# run again on bubblewrap's (RUNBOX_JAIL=bubblewrap), the fallback, which must keep them too
rm -f test-output/jest-bubblewrap.json
if [ "$#" -eq 0 ]; then
  RUNBOX_JAIL=bubblewrap npm test -- --json --outputFile=test-output/jest-bubblewrap.json \
    tests/jail.test.ts tests/attacks.test.ts tests/terminal.test.ts tests/live.test.ts tests/api.test.ts \
    tests/cpu-limit.test.ts tests/more-languages.test.ts tests/jail-startup.test.ts || status=1
  reports="$reports test-output/jest-bubblewrap.json"
fi
node -e '
  let passed = 0, failed = 0;
  for (const file of process.argv.slice(1)) {
    try {
      const r = JSON.parse(require("fs").readFileSync(file, "utf8"));
      passed += r.numPassedTests;
      failed += r.numFailedTests;
    } catch {
      console.log(`${file}: no report`);
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
' $reports || true
# the suite's own afterAll hooks check this per file; this is the independent last word
bash scripts/check-leftovers.sh || status=1
exit $status
