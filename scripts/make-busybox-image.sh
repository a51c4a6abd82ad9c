#!/usr/bin/env bash
# Builds a tiny "busybox" image from Debian's busybox-static with `docker import` (no registry is
# reachable on our machines): a rootfs with /bin/busybox and a symlink for each applet it has (sh,
# ping, ip, ifconfig, sleep, nslookup, wget, top...). Used by the Docker integration tests.
#
#   scripts/make-busybox-image.sh DOCKER_SOCKET [TAG]     (TAG defaults to busybox:latest)
set -euo pipefail

SOCK=${1:?usage: make-busybox-image.sh DOCKER_SOCKET [TAG]}
TAG=${2:-busybox:latest}
BUSYBOX=/bin/busybox
docker_cli=/usr/bin/docker
[ -x "$docker_cli" ] || docker_cli=docker

if ! "$BUSYBOX" --list >/dev/null 2>&1 || ! file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked'; then
  echo "$BUSYBOX is missing or not static: apt-get install busybox-static" >&2
  exit 1
fi

rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,proc,sys,dev,root}
cp "$BUSYBOX" "$rootfs/bin/busybox"
for applet in $("$BUSYBOX" --list); do
  [ -e "$rootfs/bin/$applet" ] || ln -s busybox "$rootfs/bin/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
echo 'root:x:0:' >"$rootfs/etc/group"
chmod 1777 "$rootfs/tmp"
tar -C "$rootfs" -c . | "$docker_cli" -H "unix://$SOCK" import -c 'CMD ["/bin/sh"]' - "$TAG" >/dev/null
echo "$TAG"
