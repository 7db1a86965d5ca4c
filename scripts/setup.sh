#!/usr/bin/env bash
# Installs everything runbox needs on a Debian host (root): the toolchains it runs, the
# sandbox tools, Node 24, the npm packages, and builds the TypeScript. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/bin:$PATH"

if [ "$(id -u)" != 0 ]; then echo "setup: run as root (runbox creates a Linux user per run)" >&2; exit 1; fi

# command -> Debian package providing it
declare -A needs=(
  [g++]=g++ [/usr/bin/python3]=python3 [javac]=openjdk-17-jdk-headless
  [bwrap]=bubblewrap [/usr/include/seccomp.h]=libseccomp-dev [cc]=gcc
  [nologin]=login [useradd]=passwd
)
missing=()
for cmd in "${!needs[@]}"; do command -v "$cmd" >/dev/null 2>&1 || [ -e "$cmd" ] || missing+=("${needs[$cmd]}"); done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${missing[@]}" | sort -u) >&2
fi

bash scripts/ensure-node.sh
hash -r
sh scripts/build-native.sh >&2
npm ci --no-audit --no-fund >&2
npm run build >&2
echo "setup: done (node $(node --version))" >&2
