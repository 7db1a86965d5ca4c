#!/bin/sh
# The Debian packages behind runbox's optional toolchains, for the host (scripts/setup.sh)
# and the image (Dockerfile, Debian 12 too): one table, so both offer the same list.
#
#   sh scripts/toolchain-packages.sh debian "c go rust" ["requests sympy"]
#
# prints the packages to install, one per line. The toolchain list "default" (also when
# the argument is missing) means all of them, "none" or an empty list none. The core four (JavaScript, Python, C++,
# Java) are not in the list: they are always installed; "formatters" is the playground's Format
# for them (black for Python, clang-format for C++), while gofmt comes with Go, rustfmt with
# Rust and clang-format with C. Python packages are named as on PyPI and map to Debian's own
# build, python3-<name>.
# An unknown toolchain name is an error, so a typo never silently drops a language.
set -eu

# what setup and the image install when nothing else is asked for
DEFAULT_TOOLCHAINS="c typescript go rust ruby bash php formatters"

distro=${1:?usage: toolchain-packages.sh debian [toolchains] [python packages]}
toolchains=${2-default}
python_packages=${3-}
case "$toolchains" in default) toolchains=$DEFAULT_TOOLCHAINS ;; none) toolchains= ;; esac

# (the distribution is named so that another can be added as a column of this table)
case "$distro" in debian) ;; *) echo "toolchain-packages: unknown distribution '$distro' (debian)" >&2; exit 2 ;; esac

for toolchain in $toolchains; do
  case "$distro:$toolchain" in
    # C: gcc, and clang-format to format it; TypeScript: Node 24 strips the types itself
    debian:c) echo gcc; echo clang-format ;;
    debian:typescript) ;;
    # Go and Rust are the heavy ones (a few hundred MB each); rustc links with `cc` (gcc);
    # golang-go has gofmt, Rust's formatter is a package of its own
    debian:go) echo golang-go ;;
    debian:rust) echo rustc; echo gcc; echo rustfmt ;;
    debian:ruby) echo ruby ;;
    debian:bash) echo bash ;;
    debian:php) echo php-cli ;;
    # the core languages' formatters (the playground's Format): Python's and C++'s
    debian:formatters) echo black; echo clang-format ;;
    *) echo "toolchain-packages: unknown toolchain '$toolchain' (known: $DEFAULT_TOOLCHAINS)" >&2; exit 2 ;;
  esac
done

for package in $python_packages; do
  case "$package" in
    *[!A-Za-z0-9._-]* | "") echo "toolchain-packages: bad Python package name '$package'" >&2; exit 2 ;;
  esac
  echo "python3-$(printf '%s' "$package" | tr 'A-Z_.' 'a-z--')"
done
