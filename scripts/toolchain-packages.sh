#!/bin/sh
# The system packages behind runbox's optional toolchains, for Debian (scripts/setup.sh)
# and Alpine (the Dockerfile): one table, so the host and the image offer the same list.
#
#   sh scripts/toolchain-packages.sh debian|alpine "c go rust" ["requests sympy"]
#
# prints the packages to install, one per line. The toolchain list "default" (also when
# the argument is missing) means all of them, "none" or an empty list none. The core four (JavaScript, Python, C++,
# Java) are not in the list: they are always installed. Python packages (Debian only: the
# image installs its extra ones with pip) are named as on PyPI and map to Debian's own
# build, python3-<name>.
# An unknown toolchain name is an error, so a typo never silently drops a language.
set -eu

# what setup and the image install when nothing else is asked for
DEFAULT_TOOLCHAINS="c typescript go rust ruby bash php"

distro=${1:?usage: toolchain-packages.sh debian|alpine [toolchains] [python packages]}
toolchains=${2-default}
python_packages=${3-}
case "$toolchains" in default) toolchains=$DEFAULT_TOOLCHAINS ;; none) toolchains= ;; esac

case "$distro" in debian | alpine) ;; *) echo "toolchain-packages: unknown distribution '$distro' (debian or alpine)" >&2; exit 2 ;; esac

for toolchain in $toolchains; do
  case "$distro:$toolchain" in
    # C: gcc (g++ pulls it in on Alpine, but say so); TypeScript: Node 24 strips the types itself
    debian:c) echo gcc ;;
    alpine:c) echo gcc; echo musl-dev ;;
    *:typescript) ;;
    # Go and Rust are the heavy ones (a few hundred MB each). rustc links with `cc`: Debian's
    # gcc provides it; on Alpine build-base does (gcc, musl-dev's crt files, the cc link)
    debian:go) echo golang-go ;;
    alpine:go) echo go ;;
    debian:rust) echo rustc; echo gcc ;;
    alpine:rust) echo rust; echo build-base ;;
    *:ruby) echo ruby ;;
    *:bash) echo bash ;;
    debian:php) echo php-cli ;;
    alpine:php) echo php ;;
    *) echo "toolchain-packages: unknown toolchain '$toolchain' (known: $DEFAULT_TOOLCHAINS)" >&2; exit 2 ;;
  esac
done

for package in $python_packages; do
  case "$package" in
    *[!A-Za-z0-9._-]* | "") echo "toolchain-packages: bad Python package name '$package'" >&2; exit 2 ;;
  esac
  [ "$distro" = debian ] || { echo "toolchain-packages: Python packages are mapped for Debian only" >&2; exit 2; }
  echo "python3-$(printf '%s' "$package" | tr 'A-Z_.' 'a-z--')"
done
