/* The JS side of a batched uv_poll reader, shared by the TAP reader (tap_reader.c) and the VTEP's
 * UDP receiver (udp_endpoint.c): the references that keep the slot memory and the two callbacks
 * alive, the async context, and the calls onBatch(count) / onError(errno, syscall) made from the
 * poll callback. Each reader keeps its own drain loop (read vs recvmmsg) and handle lifecycle. */
#include "common.h"

int tsnet_batch_js_init(struct tsnet_batch_js *j, napi_env env, napi_value buffer, napi_value aux,
                        napi_value on_batch, napi_value on_error, const char *resource, const char *what) {
  napi_value resource_name;
  j->env = env;
  j->buf_ref = j->aux_ref = j->on_batch = j->on_error = NULL;
  j->in_callback = 0;
  if (napi_create_string_utf8(env, resource, NAPI_AUTO_LENGTH, &resource_name) != napi_ok ||
      tsnet_arg_function(env, on_batch, "onBatch", &j->on_batch) < 0 ||
      tsnet_arg_function(env, on_error, "onError", &j->on_error) < 0 ||
      napi_create_reference(env, buffer, 1, &j->buf_ref) != napi_ok ||
      napi_create_reference(env, aux, 1, &j->aux_ref) != napi_ok ||
      napi_async_init(env, NULL, resource_name, &j->actx) != napi_ok) {
    if (j->on_batch) napi_delete_reference(env, j->on_batch);
    if (j->on_error) napi_delete_reference(env, j->on_error);
    if (j->buf_ref) napi_delete_reference(env, j->buf_ref);
    if (j->aux_ref) napi_delete_reference(env, j->aux_ref);
    j->released = 1;
    tsnet_throw_last(env, what);
    return -1;
  }
  j->released = 0;
  return 0;
}

void tsnet_batch_js_release(struct tsnet_batch_js *j) {
  if (j->released) return;
  j->released = 1;
  napi_delete_reference(j->env, j->buf_ref);
  napi_delete_reference(j->env, j->aux_ref);
  napi_delete_reference(j->env, j->on_batch);
  napi_delete_reference(j->env, j->on_error);
  napi_async_destroy(j->env, j->actx);
}

static void call_js(struct tsnet_batch_js *j, napi_ref ref, size_t argc, napi_value *argv) {
  napi_value fn, recv, result;
  napi_get_reference_value(j->env, ref, &fn);
  napi_get_global(j->env, &recv); /* napi_make_callback needs an object receiver */
  j->in_callback = 1;
  napi_status st = napi_make_callback(j->env, j->actx, recv, fn, argc, argv, &result);
  j->in_callback = 0;
  if (st == napi_pending_exception) {
    napi_value exc;
    napi_get_and_clear_last_exception(j->env, &exc);
    napi_fatal_exception(j->env, exc); /* a bug in the JS callback: surfaces as uncaughtException */
  }
}

void tsnet_batch_js_batch(struct tsnet_batch_js *j, int32_t count) {
  napi_value arg;
  napi_create_int32(j->env, count, &arg);
  call_js(j, j->on_batch, 1, &arg);
}

void tsnet_batch_js_error(struct tsnet_batch_js *j, int err, const char *syscall) {
  napi_value argv[2];
  napi_create_int32(j->env, err, &argv[0]);
  napi_create_string_utf8(j->env, syscall, NAPI_AUTO_LENGTH, &argv[1]);
  call_js(j, j->on_error, 2, argv);
}
