#!/usr/bin/env bash
# Makes `node` on PATH a Node 24 binary. The npm registry ships Node itself as
# node-linux-<arch>; we install that outside the repo (run users must be able to
# execute it, and the sandbox hides the repo from them) and link it into /usr/local/bin.
set -euo pipefail
want=24
have=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$have" -ge "$want" ]; then exit 0; fi
case "$(uname -m)" in
  x86_64) arch=x64 ;; aarch64) arch=arm64 ;; *) echo "unsupported arch $(uname -m)" >&2; exit 1 ;;
esac
prefix=/opt/runbox-node
npm install --no-save --no-audit --no-fund --prefix "$prefix" "node-linux-$arch@$want" >&2
ln -sf "$prefix/node_modules/node-linux-$arch/bin/node" /usr/local/bin/node
hash -r
echo "node $(/usr/local/bin/node --version) installed at /usr/local/bin/node" >&2
