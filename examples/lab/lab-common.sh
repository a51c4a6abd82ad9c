#!/bin/bash
# Shared by the lab scripts: start a tsnet daemon as a "host" in its own network namespace, with its
# own state directory and API socket, so the lab never touches this machine's networking.
# Usage: source lab-common.sh; lab_host NAME [extra daemon flags...]  -> sets TSNET_SOCKET
set -euo pipefail
LAB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TSNET_CLI="$LAB_ROOT/dist/src/cli/main.js"
[ -f "$TSNET_CLI" ] || { echo "build tsnet first: (cd $LAB_ROOT && npm run build)"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "run the lab as root (it creates namespaces and TAP devices)"; exit 1; }

tsnet() { node "$TSNET_CLI" "$@"; }

# lab_host NAME [daemon flags...]: namespace NAME with loopback up, a daemon in it, $TSNET_SOCKET set
lab_host() {
  local name=$1; shift
  local dir=/tmp/tsnet-lab-$name
  [ -e /run/netns/"$name" ] || ip netns add "$name"   # exercise 3 makes its host namespaces itself
  [ ! -e "$dir/daemon.pid" ] || { echo "$dir exists: run the cleanup printed by the last run first"; exit 1; }
  ip -n "$name" link set lo up
  mkdir -p "$dir"
  nsenter --net=/run/netns/"$name" node --no-memory-reducer "$TSNET_CLI" daemon --state-dir "$dir/state" --socket "$dir/tsnet.sock" \
    --netns-prefix "$name-" "$@" >"$dir/daemon.log" 2>&1 &
  echo $! >"$dir/daemon.pid"
  export TSNET_SOCKET="$dir/tsnet.sock"
  for _ in $(seq 100); do tsnet info >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "the daemon did not start; see $dir/daemon.log"; exit 1
}

# prints how to undo lab_host NAME
lab_cleanup_hint() {
  local name=$1
  echo "  kill \$(cat /tmp/tsnet-lab-$name/daemon.pid); for n in \$(ip netns list | awk '{print \$1}' | grep '^$name-'); do ip netns pids \$n | xargs -r kill; ip netns del \$n; done; ip netns del $name; rm -rf /tmp/tsnet-lab-$name"
}
