#!/usr/bin/env bash
# Makes `node` on PATH a Node 24 binary (and `npm`, when the machine has none). The npm
# registry ships Node itself as node-linux-<arch>; we install that outside the repo (run users
# must be able to execute it, and the sandbox hides the repo from them) and link it into
# /usr/local/bin. With an npm present it installs the package; without one (a bare Debian
# image build) it takes the same package's tarball from the registry with curl, and npm's own.
set -euo pipefail
want=24
npm_major=11
prefix=/opt/runbox-node
case "$(uname -m)" in
  x86_64) arch=x64 ;; aarch64) arch=arm64 ;; *) echo "unsupported arch $(uname -m)" >&2; exit 1 ;;
esac
registry=${npm_config_registry:-https://registry.npmjs.org/}
registry=${registry%/}

# the newest version of package $1 whose major is $2, from the registry's abbreviated metadata
newest() {
  curl -fsSL --retry 3 -H 'Accept: application/vnd.npm.install-v1+json' "$registry/$1" \
    | grep -oE "\"$2\.[0-9]+\.[0-9]+\"" | tr -d '"' | sort -uV | tail -n 1
}
# unpacks package $1 at version $2 into $prefix/node_modules/$1 (the layout npm install leaves)
unpack() {
  local dir="$prefix/node_modules/$1"
  rm -rf "$dir" && mkdir -p "$dir"
  curl -fsSL --retry 3 "$registry/$1/-/$1-$2.tgz" | tar -xz -C "$dir" --strip-components=1
}

have=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$have" -lt "$want" ]; then
  if command -v npm >/dev/null 2>&1; then
    npm install --no-save --no-audit --no-fund --prefix "$prefix" "node-linux-$arch@$want" >&2
  else
    version=$(newest "node-linux-$arch" "$want")
    [ -n "$version" ] || { echo "ensure-node: no node-linux-$arch@$want on $registry" >&2; exit 1; }
    unpack "node-linux-$arch" "$version"
  fi
  ln -sf "$prefix/node_modules/node-linux-$arch/bin/node" /usr/local/bin/node
  hash -r
  echo "node $(/usr/local/bin/node --version) installed at /usr/local/bin/node" >&2
fi
if ! command -v npm >/dev/null 2>&1; then
  version=$(newest npm "$npm_major")
  [ -n "$version" ] || { echo "ensure-node: no npm@$npm_major on $registry" >&2; exit 1; }
  unpack npm "$version"
  ln -sf "$prefix/node_modules/npm/bin/npm-cli.js" /usr/local/bin/npm
  echo "npm $version installed at /usr/local/bin/npm" >&2
fi
