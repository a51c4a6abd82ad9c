#!/usr/bin/env bash
# tsnet's main job on built-in defaults: the seed post ("Docker Networking: Reborn") replayed with
# tsnet — first its single-host session (bridge networks, names, many networks per container,
# isolation), then its 3-host overlay demo joined through the DHT instead of consul. Everything runs
# in network namespaces this script creates and removes. Usage (root): bash examples/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
printf '\033[1m== Part 1: one host (examples/single-host.sh) ==\033[0m\n'
bash examples/single-host.sh
printf '\n\033[1m== Part 2: three hosts, no consul (examples/multi-host.sh) ==\033[0m\n'
bash examples/multi-host.sh
