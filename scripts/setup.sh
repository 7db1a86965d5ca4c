#!/usr/bin/env bash
# Installs everything runbox needs on a Debian host (root): the toolchains it runs, the
# sandbox tools, Node 24, the npm packages, and builds the TypeScript. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/bin:$PATH"

if [ "$(id -u)" != 0 ]; then echo "setup: run as root (runbox creates a Linux user per run)" >&2; exit 1; fi

# Optional toolchains, besides the core four (JavaScript, Python, C++, Java) that are always
# installed: RUNBOX_TOOLCHAINS lists them (default: all of them; "none" for none). Go and Rust
# are the heavy ones; leave them out with RUNBOX_TOOLCHAINS="c typescript ruby bash php". Python packages
# beyond numpy (always installed): RUNBOX_PYTHON_PACKAGES="requests sympy", from Debian's
# python3-<name> packages. The Docker image takes the same two lists as build arguments.
optional=$(sh scripts/toolchain-packages.sh debian "${RUNBOX_TOOLCHAINS:-default}" "${RUNBOX_PYTHON_PACKAGES-}")

# command -> Debian package providing it
declare -A needs=(
  [g++]=g++ [/usr/bin/python3]=python3 [javac]=openjdk-17-jdk-headless
  [bwrap]=bubblewrap [/usr/include/seccomp.h]=libseccomp-dev [cc]=gcc
  [nologin]=login [useradd]=passwd
  # problem packages' statements (LaTeX, Markdown) become HTML with pandoc
  [pandoc]=pandoc
)
missing=()
for cmd in "${!needs[@]}"; do command -v "$cmd" >/dev/null 2>&1 || [ -e "$cmd" ] || missing+=("${needs[$cmd]}"); done
for package in python3-numpy $optional; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'ok installed' || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # other apt users on the machine (unattended upgrades): wait for their lock, not fail
  apt-get -o DPkg::Lock::Timeout=900 update -qq
  apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends $(printf '%s\n' "${missing[@]}" | sort -u) >&2
fi

bash scripts/ensure-node.sh
hash -r
npm ci --no-audit --no-fund >&2
# the API's TypeScript and its C helpers (scripts/build-native.sh), then the playground
npm run build >&2
echo "setup: done (node $(node --version))" >&2
