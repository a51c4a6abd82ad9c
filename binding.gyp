# Build of the tsnet native addon (build/Release/tsnet_native.node), run by scripts/build-native.mjs
# during `npm ci`. Plain C with N-API (node_api.h) and libuv; Linux only (TUN/TAP).
{
  "targets": [
    {
      "target_name": "tsnet_native",
      "sources": [
        "native/addon.c",
        "native/batch_callbacks.c",
        "native/burst_period.c",
        "native/busy_poll.c",
        "native/tap_open.c",
        "native/tap_reader.c",
        "native/tap_write.c",
        "native/udp_endpoint.c",
        "native/udp_gso.c"
      ],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags_c": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "libraries": ["-lpthread"]
    }
  ]
}
