#!/usr/bin/env bash
# The seed's 3-host overlay demo, without consul: three tsnet daemons, each a "host" in a network
# namespace of its own on one underlay (10.210.0.1-3), joined through the libp2p DHT. `network create
# multi` on host 1 is global; demo1..3 run on different hosts and ping each other by name over tsnet's
# userspace VXLAN. Everything is removed at the end (also on Ctrl-C). Usage (root): bash examples/multi-host.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "run as root: the demo creates namespaces and TAP devices" >&2; exit 1; }
[ -f dist/src/cli/main.js ] || npm run build >/dev/null

WORK=$(mktemp -d /tmp/tsnet-multi.XXXXXX)
SW=tsmulti-sw
PIDS=()
say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
on() { local i=$1; shift; say "host$i\$ tsnet $*"; node dist/src/cli/main.js --host "$WORK/h$i.sock" "$@"; }
q() { local i=$1; shift; node dist/src/cli/main.js --host "$WORK/h$i.sock" "$@"; }

cleanup() {
  set +e
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  for ns in $(ip netns list | awk '{print $1}' | grep -E "^(m[123]-|tsmulti-)"); do
    for pid in $(ip netns pids "$ns"); do kill -9 "$pid" 2>/dev/null; done
    ip netns del "$ns"; rm -rf "/etc/netns/$ns"
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

say "# an underlay: a bridge in $SW and three hosts on it"
ip netns add $SW; ip -n $SW link add br0 type bridge; ip -n $SW link set br0 up
for i in 1 2 3; do
  ip netns add tsmulti-h$i
  ip link add tsm-ul$i netns $SW type veth peer name ul0 netns tsmulti-h$i
  ip -n $SW link set tsm-ul$i master br0 up
  ip -n tsmulti-h$i addr add 10.210.0.$i/24 dev ul0
  ip -n tsmulti-h$i link set ul0 up; ip -n tsmulti-h$i link set lo up
  join=(); [ $i = 1 ] || join=(--join 10.210.0.1:7946)
  say "host$i\$ tsnet daemon --advertise 10.210.0.$i --listen 10.210.0.$i:7946 ${join[*]}"
  nsenter --net=/run/netns/tsmulti-h$i node --no-memory-reducer dist/src/cli/main.js daemon --state-dir "$WORK/h$i" \
    --socket "$WORK/h$i.sock" --netns-prefix m$i- --advertise 10.210.0.$i --listen 10.210.0.$i:7946 \
    "${join[@]}" 2>"$WORK/h$i.log" &
  PIDS+=($!)
  for _ in $(seq 100); do q $i info >/dev/null 2>&1 && break; sleep 0.1; done
done
for _ in $(seq 100); do [ "$(q 3 info | grep -c '(up,')" = 2 ] && break; sleep 0.2; done
on 1 info

on 1 network create multi
# every host learns the network within a sync tick: wait for both before showing them
for _ in $(seq 50); do q 2 network ls | grep -q multi && q 3 network ls | grep -q multi && break; sleep 0.2; done
on 3 network ls
on 2 network inspect multi
for i in 1 2 3; do on $i run -d --name demo$i --net multi -- sleep 600; done
sleep 1
for i in 1 2 3; do
  for j in 1 2 3; do
    [ $i = $j ] && continue
    say "host$i\$ tsnet exec demo$i -- ping -c 1 demo$j"
    ip netns exec m$i-demo$i ping -c 1 -W 2 demo$j
  done
done
on 2 run -d --name demo1 --net multi -- sleep 600 || echo "(refused: container names are unique in the cluster)"
on 1 stats multi | head -40
for i in 1 2 3; do q $i rm -f demo$i >/dev/null; done
sleep 1
on 1 network rm multi
echo; echo "demo finished"
