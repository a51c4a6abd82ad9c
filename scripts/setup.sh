#!/usr/bin/env bash
# Sets a fresh Debian 12 machine up for tsnet (as root): the system packages the daemon, the tests
# and the demos use, then the npm dependencies (which builds the native TAP addon) and the build.
# Used by .ci/run and by the README's two commands.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
if [ "${TSNET_SKIP_APT:-}" != 1 ]; then
  apt-get update -qq
  # iproute2/iputils-ping/iptables: namespaces, veths, kernel vxlan and bridge peers, ping, loss injection
  # tcpdump/tshark: golden captures and pcap checks; dnsmasq-base + bind9-dnsutils: upstream DNS and dig
  # iperf3: TCP transfers across the overlay; util-linux: nsenter/unshare; libpcap-dev + build-essential +
  # python3: node-gyp builds of our addon, cap and raw-socket; busybox-static: container commands and the
  # test image; docker.io: a real dockerd for the plugin tests; ethtool: checksum offload off on test
  # veths (kernel-vxlan interop); tinc + librsvg2-bin + rt-tests: the end-to-end benchmark peer, its PNG
  # charts and the machine's wake-up floor (cyclictest);
  # chromium: the dashboard test (driven by playwright-core); python3-seccomp: the test that runs a daemon
  # as on a kernel without USO (a seccomp filter, test/helpers/as-kernel-without-uso.py); curl: the
  # client of the published-ports test (busybox wget crashes on the host)
  apt-get install -y -qq --no-install-recommends \
    iproute2 iputils-ping iptables tcpdump tshark dnsmasq-base bind9-dnsutils iperf3 util-linux procps \
    libpcap-dev build-essential python3 busybox-static ca-certificates docker.io ethtool tinc librsvg2-bin rt-tests chromium python3-seccomp curl >/dev/null
fi
# node-gyp cannot download headers here: build against the ones shipped with Node.
export npm_config_nodedir="$(dirname "$(dirname "$(command -v node)")")"
npm ci --no-audit --no-fund
npm run build
