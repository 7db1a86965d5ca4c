#!/usr/bin/env bash
# Makes sure a Docker engine answers: installs Debian's docker.io and docker-compose (and
# debootstrap, for scripts/docker-base-images.sh) when missing, and starts dockerd when none
# runs. Prints "started <pid>" when it started one (the caller stops only what it started),
# nothing when an engine was already there.
#   bash scripts/docker-engine.sh          -> ensure one runs
#   bash scripts/docker-engine.sh stop PID -> stop the dockerd this script started
set -euo pipefail
export PATH="/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"

if [ "${1-}" = stop ]; then
  pid=${2:?usage: docker-engine.sh stop PID}
  kill "$pid" 2>/dev/null || exit 0
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.2; done
  kill -9 "$pid" 2>/dev/null || true
  exit 0
fi

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
# Compose: the v2 plugin where the machine has it, else Debian 12's v1 (the same file works with both)
docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "docker-engine: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=900 update -qq
  apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

if docker info >/dev/null 2>&1; then exit 0; fi
log=/var/log/runbox-dockerd.log
# no systemd on these machines: dockerd in the background, detached from our stdio
setsid dockerd >"$log" 2>&1 < /dev/null &
pid=$!
for _ in $(seq 1 120); do
  if docker info >/dev/null 2>&1; then echo "started $pid"; exit 0; fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.5
done
echo "docker-engine: dockerd did not come up; its log ($log):" >&2
tail -n 30 "$log" >&2
exit 1
