/* Shared declarations of the tsnet native addon (tsnet_native.node). The addon holds only the
 * syscalls Node cannot make for a TAP device: open (TUNSETIFF, optionally from inside another
 * network namespace, optionally with virtio_net_hdr offloads), persist, non-blocking write (with
 * or without a virtio_net_hdr in front), and a batched packed-layout reader driven by uv_poll.
 * No parsing, no policy: errors go back to TypeScript as {errno, syscall} and src/native/tap.ts
 * maps them to TsnetErrors. Used only by src/native/tap.ts. */
#ifndef TSNET_NATIVE_COMMON_H
#define TSNET_NATIVE_COMMON_H

#include <node_api.h>
#include <stdint.h>

/* From include/uapi/linux/virtio_net.h: sizeof(struct virtio_net_hdr) (no num_buffers), the header
 * an offload TAP (IFF_VNET_HDR, TUNSETVNETHDRSZ) puts in front of every frame, in both directions. */
#define TSNET_VNET_HDR_LEN 10

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
int tsnet_arg_float64array(napi_env env, napi_value v, const char *what, double **data, size_t *len);
/* Takes a reference (count 1) to a function argument. */
int tsnet_arg_function(napi_env env, napi_value v, const char *what, napi_ref *out);
/* Fetches exactly n arguments into argv; throws a TypeError with `usage` when fewer were passed. */
int tsnet_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv, const char *usage);

/* Sets obj[key] = v (a number); returns 0, or -1 with an exception pending. */
int tsnet_set_number(napi_env env, napi_value obj, const char *key, double v);

/* One exported function, and the registration of a table of them on the exports object. */
struct tsnet_export {
  const char *name;
  napi_callback fn;
};
napi_value tsnet_export_all(napi_env env, napi_value exports, const struct tsnet_export *fns); /* ends at {NULL} */

/* The pointer held by an external handle argument, or NULL after throwing TypeError(`msg`). */
void *tsnet_arg_external(napi_env env, napi_value v, const char *msg);
/* The same for the first argument; NULL without throwing when no argument was passed. */
void *tsnet_handle_arg(napi_env env, napi_callback_info info, const char *msg);

/* JS side of a batched uv_poll reader (batch_callbacks.c): references to the slot Buffer, an
 * auxiliary Int32Array (lengths or metadata) and the callbacks onBatch(count), onError(errno,
 * syscall), plus the async context they run in. in_callback is set while JS runs. */
struct tsnet_batch_js {
  napi_env env;
  napi_ref buf_ref, aux_ref, on_batch, on_error;
  napi_async_context actx;
  int in_callback;
  int released; /* references and async context released (or never taken) */
};
/* Takes the references; on failure releases what was taken, throws (naming `what`), returns -1. */
int tsnet_batch_js_init(struct tsnet_batch_js *j, napi_env env, napi_value buffer, napi_value aux,
                        napi_value on_batch, napi_value on_error, const char *resource, const char *what);
void tsnet_batch_js_release(struct tsnet_batch_js *j); /* idempotent */
/* Call from the poll callback inside a handle scope; a throwing callback becomes uncaughtException. */
void tsnet_batch_js_batch(struct tsnet_batch_js *j, int32_t count);
void tsnet_batch_js_error(struct tsnet_batch_js *j, int err, const char *syscall);

/* Registration of each file's functions on the exports object. */
napi_value tsnet_register_open(napi_env env, napi_value exports);
napi_value tsnet_register_write(napi_env env, napi_value exports);
napi_value tsnet_register_reader(napi_env env, napi_value exports);

/* Underlay UDP sockets of a VTEP (udp_endpoint.c): open/bind, recvmmsg reader, sendto, busy-poll. */
napi_value tsnet_register_udp(napi_env env, napi_value exports);

#endif
