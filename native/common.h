/* Shared declarations of the tsnet native addon (tsnet_native.node). The addon holds only the
 * syscalls Node cannot make for a TAP device: open (TUNSETIFF, optionally from inside another
 * network namespace), persist, non-blocking write, and a batched reader driven by uv_poll.
 * No parsing, no policy: errors go back to TypeScript as {errno, syscall} and src/native/tap.ts
 * maps them to TsnetErrors. Used only by src/native/tap.ts. */
#ifndef TSNET_NATIVE_COMMON_H
#define TSNET_NATIVE_COMMON_H

#include <node_api.h>
#include <stdint.h>

/* Evaluates an N-API call; on failure throws (if nothing is pending) and returns NULL. */
#define NAPI_CALL(env, call)                                                         \
  do {                                                                               \
    if ((call) != napi_ok) {                                                         \
      tsnet_throw_last(env, #call);                                                  \
      return NULL;                                                                   \
    }                                                                                \
  } while (0)

void tsnet_throw_last(napi_env env, const char *what);

/* Builds {errno, syscall}: the failure value returned by calls that can fail. */
napi_value tsnet_failure(napi_env env, int err, const char *syscall);

/* Argument helpers: return 0 on success, throw a TypeError/RangeError and return -1 otherwise. */
int tsnet_arg_int32(napi_env env, napi_value v, const char *what, int32_t *out);
int tsnet_arg_bool(napi_env env, napi_value v, const char *what, int *out);
int tsnet_arg_buffer(napi_env env, napi_value v, const char *what, uint8_t **data, size_t *len);
int tsnet_arg_int32array(napi_env env, napi_value v, const char *what, int32_t **data, size_t *len);

/* Registration of each file's functions on the exports object. */
napi_value tsnet_register_open(napi_env env, napi_value exports);
napi_value tsnet_register_write(napi_env env, napi_value exports);
napi_value tsnet_register_reader(napi_env env, napi_value exports);

/* Underlay UDP sockets of a VTEP (udp_endpoint.c): open/bind, recvmmsg reader, sendto, busy-poll. */
napi_value tsnet_register_udp(napi_env env, napi_value exports);

#endif
