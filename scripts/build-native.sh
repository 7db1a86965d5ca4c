#!/bin/sh
# Builds runbox's two small C helpers into backend/native/build (POSIX sh: also runs in
# the Alpine image build): runbox-jail, the launcher around bubblewrap, and
# seccomp-export, which writes the syscall filter as BPF at server start (libseccomp).
set -eu
cd "$(dirname "$0")/../backend/native"
mkdir -p build
CC=${CC:-cc}
CFLAGS=${CFLAGS:--O2 -Wall -Wextra -Werror}
# static where the C library allows it: it is exec'd in every jail, and a static binary
# skips the dynamic loader (~0.1 ms a jail); dynamic otherwise
$CC $CFLAGS -static -o build/runbox-jail runbox-jail.c 2>/dev/null || $CC $CFLAGS -o build/runbox-jail runbox-jail.c
$CC $CFLAGS -o build/seccomp-export seccomp-export.c -lseccomp
$CC $CFLAGS -o build/runbox-accounts accounts.c
chmod 0755 build/runbox-jail build/seccomp-export build/runbox-accounts
