#!/usr/bin/env bash
# Makes sure the base image every runbox Dockerfile starts FROM is present in the local
# engine: pulled where a registry answers, else made here from Debian's own packages with
# debootstrap (minbase, the same suites and mirror apt uses on this machine) and imported
# under the same name, so the Dockerfiles need no change between the two kinds of machine.
#   bash scripts/docker-base-images.sh
set -euo pipefail
export PATH="/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
cd "$(dirname "$0")/.."

base=debian:bookworm-slim
if docker image inspect "$base" >/dev/null 2>&1; then exit 0; fi
if timeout 60 docker pull -q "$base" >/dev/null 2>&1; then echo "base-images: pulled $base" >&2; exit 0; fi

# the mirror this machine's apt already uses (deb822 "URIs:" or a one-line "deb URI bookworm")
mirror=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
  | grep -E 'debian/?$|debian/? bookworm|/debian bookworm' | grep -v security | head -n 1 \
  | sed -E 's/^URIs: *//; s/^deb (\[[^]]*\] )?//; s/ .*//' || true)
mirror=${mirror:-http://deb.debian.org/debian}
security=${mirror%/debian}/debian-security
command -v debootstrap >/dev/null 2>&1 || bash scripts/docker-engine.sh >/dev/null
echo "base-images: no registry for $base; making it with debootstrap from $mirror (a few minutes)" >&2
root=$(mktemp -d /var/tmp/runbox-base.XXXXXX)
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase bookworm "$root" "$mirror" >&2
# what the registry's -slim image has: the usual suites, no docs or man pages, an empty apt cache
cat > "$root/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
SOURCES
cat > "$root/etc/dpkg/dpkg.cfg.d/slim" <<'SLIM'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
SLIM
rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
tar -C "$root" -c . | docker import --change 'CMD ["bash"]' - "$base" >/dev/null
echo "base-images: made $base ($(docker image inspect -f '{{.Size}}' "$base" | awk '{printf "%.0f MB", $1/1e6}'))" >&2
