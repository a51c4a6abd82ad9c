#!/usr/bin/env bash
# Starts a private dockerd for tsnet's Docker integration tests (test/helpers/dockerd.ts) and demos.
#
#   scripts/start-dockerd.sh ROOT [NETNS]
#
# Everything lives under ROOT (an empty directory of the caller's): ROOT/data (--data-root, vfs
# layers), ROOT/exec (--exec-root: containerd state, the containers' namespace files), ROOT/plugins
# (what this dockerd sees as /run/docker/plugins), ROOT/docker.sock (-H), ROOT/dockerd.pid,
# ROOT/dockerd.log. dockerd runs in a mount namespace of its own where ROOT/plugins is bind-mounted
# over /run/docker/plugins, so only plugin sockets the test put in ROOT/plugins are discovered; with
# NETNS it also runs in that network namespace (the tsnet daemon's "host": Docker must find the TAP
# that Join returns in its own namespace). ROOT itself is made a shared mount first, so the namespace
# files dockerd bind-mounts under ROOT/exec are visible from the caller's mount namespace too (the
# tsnet daemon enters them to re-attach endpoints after a restart).
# No bridge, no iptables, vfs storage: nothing on the machine outside ROOT and NETNS is touched.
# Prints dockerd's PID once its API answers. Stop: kill PID, wait, `umount -R ROOT`, rm -rf ROOT.
set -euo pipefail

ROOT=${1:?usage: start-dockerd.sh ROOT [NETNS]}
NETNS=${2:-}
ROOT=$(realpath "$ROOT")
# --- our choice ---
READY_TIMEOUT_S=60

mkdir -p "$ROOT/data" "$ROOT/exec" "$ROOT/plugins" /run/docker/plugins
if ! mountpoint -q "$ROOT"; then mount --bind "$ROOT" "$ROOT"; fi
mount --make-shared "$ROOT"

enter=()
if [ -n "$NETNS" ]; then enter=(nsenter "--net=/run/netns/$NETNS"); fi

# Inside the new mount namespace: every mount but ROOT becomes private (so the plugin bind mount and
# anything else dockerd mounts outside ROOT stays in there), then the private plugin directory.
inner=$(cat <<'EOF'
set -e
findmnt -rn -o TARGET | while read -r m; do
  m=$(printf '%b' "$m")
  case "$m" in "$ROOT"|"$ROOT"/*) ;; *) mount --make-private "$m" 2>/dev/null || true ;; esac
done
mount --bind "$ROOT/plugins" /run/docker/plugins
exec "$@"
EOF
)

ROOT="$ROOT" setsid "${enter[@]}" unshare --mount --propagation unchanged env ROOT="$ROOT" bash -c "$inner" inner \
  dockerd \
    --data-root "$ROOT/data" --exec-root "$ROOT/exec" --pidfile "$ROOT/dockerd.pid" \
    -H "unix://$ROOT/docker.sock" \
    --storage-driver vfs --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false --bridge none \
    --userland-proxy=false --live-restore=false --log-level warn \
    </dev/null >"$ROOT/dockerd.log" 2>&1 &

deadline=$((SECONDS + READY_TIMEOUT_S))
docker_cli=/usr/bin/docker
[ -x "$docker_cli" ] || docker_cli=docker
until [ -S "$ROOT/docker.sock" ] && "$docker_cli" -H "unix://$ROOT/docker.sock" version >/dev/null 2>&1; do
  if [ $SECONDS -ge $deadline ]; then
    echo "dockerd did not answer on $ROOT/docker.sock within ${READY_TIMEOUT_S}s; its log:" >&2
    tail -n 30 "$ROOT/dockerd.log" >&2 || true
    exit 1
  fi
  sleep 0.2
done
echo "$(cat "$ROOT/dockerd.pid")"
