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
node -e '
  const r = JSON.parse(require("fs").readFileSync("test-output/jest.json", "utf8"));
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed`);
' || true
# the suite's own afterAll hooks check this per file; this is the independent last word
bash scripts/check-leftovers.sh || status=1
exit $status
