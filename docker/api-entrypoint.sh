#!/bin/sh
# The API container's start (under tini): makes the container's own cgroups writable, then
# runs the server.
#
# Docker mounts a container's cgroups read-only. runbox makes a cgroup per run phase below
# its own (memory limit, pids cap, CPU accounting), so it needs them writable; what it sees
# is only its own subtree: on cgroup v2 the container's cgroup namespace is rooted there, on
# v1 each hierarchy's mount is rooted at the container's cgroup. Remounting a mount read-write
# needs CAP_SYS_ADMIN, which the jail needs anyway (bubblewrap's mounts and namespaces), and
# `mount` in the syscall profile (Docker's default allows it with that capability). Where it
# is refused the server starts without cgroups, and the start-up probe refuses to serve if
# RUNBOX_REQUIRED_LAYERS names them (the image requires them by default).
set -eu
# Only the hierarchies runbox uses: memory, pids and cpuacct on v1 (a writable devices or
# cpuset hierarchy would let the container widen its own limits), the unified one on v2.
# (mountinfo: point and options are fields 5 and 6; type and super options follow the "-")
awk '{ i = 7; while ($i != "-") i++; type = $(i + 1); super = $(i + 3) }
     type == "cgroup2" || (type == "cgroup" && super ~ /(^|,)(memory|pids|cpuacct)(,|$)/) { print $5, $6 }' /proc/self/mountinfo |
  while read -r point options; do
    case ",$options," in
      *,ro,*)
        mount -o remount,bind,rw "$point" 2>/dev/null \
          || echo "runbox: cannot make the cgroup mount $point writable (CAP_SYS_ADMIN and the mount syscall are needed)" >&2
        ;;
    esac
  done
exec "$@"
