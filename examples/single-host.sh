#!/usr/bin/env bash
# The seed's single-host session ("Docker Networking: Reborn"), command for command, with tsnet.
# Safe on any machine: the daemon runs in a "host" network namespace of its own, so nothing touches
# the machine's real interfaces; everything it makes is removed at the end (also on Ctrl-C).
# Usage (root): bash examples/single-host.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "run as root: the demo creates namespaces and TAP devices" >&2; exit 1; }
[ -f dist/src/cli/main.js ] || npm run build >/dev/null

HOST=tsdemo-host
WORK=$(mktemp -d /tmp/tsnet-demo.XXXXXX)
SOCK=$WORK/tsnet.sock
PREFIX=demo-
tsnet() { node dist/src/cli/main.js --host "$SOCK" "$@"; }
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "tsnet $*"; tsnet "$@"; }

cleanup() {
  set +e
  [ -n "${DAEMON:-}" ] && kill "$DAEMON" 2>/dev/null && wait "$DAEMON" 2>/dev/null
  for ns in $(ip netns list | awk '{print $1}' | grep "^$PREFIX"); do
    for pid in $(ip netns pids "$ns"); do kill -9 "$pid" 2>/dev/null; done
    ip netns del "$ns"; rm -rf "/etc/netns/$ns"
  done
  ip netns del "$HOST" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

ip netns add "$HOST"
ip -n "$HOST" link set lo up
nsenter --net=/run/netns/$HOST node --no-memory-reducer dist/src/cli/main.js daemon --state-dir "$WORK/state" --socket "$SOCK" \
  --netns-prefix "$PREFIX" 2>"$WORK/daemon.log" &
DAEMON=$!
for _ in $(seq 100); do tsnet info >/dev/null 2>&1 && break; sleep 0.1; done

run network create frontend
run run -d --name rose --net frontend -- sleep 600
run run --rm --net frontend -- ping -c 4 rose
run network inspect frontend
run network create backend
run network connect backend rose
run network inspect backend
run inspect -f '{{json .NetworkSettings}}' rose
run exec rose -- ip addr
run network disconnect backend rose
say "tsnet exec rose -- ip -br link   # eth1 is gone"; tsnet exec rose -- ip -br link
run run -d --name lily --net backend -- sleep 600
say "tsnet exec lily -- ping -c 1 -W 1 <rose's frontend address>   # networks are isolated"
ROSE_IP=$(tsnet inspect -f '{{.NetworkSettings.Networks.frontend.IPAddress}}' rose)
tsnet exec lily -- ping -c 1 -W 1 "$ROSE_IP" || echo "(no reply: lily is not on frontend)"
run stats frontend
run rm -f rose lily
run network rm frontend backend
echo; echo "demo finished; daemon log: $WORK/daemon.log (removed on exit)"
