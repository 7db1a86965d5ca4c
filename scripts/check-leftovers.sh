#!/usr/bin/env bash
# Fails when any run artifact is on the machine: exec_ users, their homes or mounts,
# processes of run users, run cgroups. The test script calls it after the suite.
set -u
users=$(grep -c '^exec_' /etc/passwd || true)
procs=$(ps -eo user:40= | grep -c '^exec_' || true)
homes=$(ls -d /home/exec_* 2>/dev/null | wc -l)
mounts=$(grep -c 'exec_' /proc/self/mountinfo || true)
servers=$(pgrep -fc 'backend/dist/main.js' || true)
cgroups=$(find /sys/fs/cgroup -maxdepth 3 -path '*/runbox/*' -type d 2>/dev/null | wc -l)
echo "leftovers: users=$users processes=$procs homes=$homes mounts=$mounts cgroups=$cgroups servers=$servers"
[ "$users$procs$homes$mounts$cgroups$servers" = "000000" ]
