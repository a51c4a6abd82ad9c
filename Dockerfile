# The tsnet daemon image, with the Docker network + IPAM plugin enabled: dockerd finds the plugin at
# /run/docker/plugins/tsnet.sock and `docker network create -d tsnet [--ipam-driver tsnet] ...` works.
#
#   docker build -t tsnet .
#   docker run -d --name tsnet --restart unless-stopped \
#     --privileged --network host \
#     -v /run/docker/plugins:/run/docker/plugins \
#     -v /var/run/docker/netns:/var/run/docker/netns:rslave \
#     -v /var/lib/tsnet:/var/lib/tsnet -v /run/tsnet:/run/tsnet \
#     tsnet
#
# --network host: the TAPs Join returns must be in dockerd's namespace; --privileged: TAP devices
# (/dev/net/tun), setns into containers' namespaces; the netns mount (rslave) lets the daemon re-open
# TAPs inside running containers after it restarts; /var/lib/tsnet keeps the state across restarts.
# Node 20 on Debian 12 (the platform tsnet is developed and tested on).

FROM node:20-bookworm-slim AS build
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends build-essential python3 libpcap-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json binding.gyp ./
COPY native ./native
COPY scripts ./scripts
# the install script builds the native TAP addon against the headers shipped with this Node
RUN npm_config_nodedir=/usr/local npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY test ./test
COPY bench ./bench
RUN npx tsc -p tsconfig.json && npm prune --omit=dev

FROM node:20-bookworm-slim
# iproute2/util-linux: every namespace and link change is an `ip`/`nsenter` child process;
# libpcap0.8: the optional pcap capture dependency; iptables: Docker's embedded DNS rules are not ours,
# but `tsnet` examples use it for loss injection inside namespaces
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends iproute2 util-linux libpcap0.8 iptables ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/tsnet
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/build/Release/tsnet_native.node ./build/Release/tsnet_native.node
COPY --from=build /src/dist/src ./dist/src
VOLUME ["/var/lib/tsnet"]
ENTRYPOINT ["node", "/opt/tsnet/dist/src/cli/main.js", "daemon", "--docker-plugin"]
