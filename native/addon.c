/* Module entry of tsnet_native.node and the small helpers every file shares: throwing the last
 * N-API error, building {errno, syscall} failures, checked argument conversion (numbers, buffers,
 * functions, handles), setting number properties, and registering export tables. The module is
 * context-aware (no global state) so it can also be loaded by a data-plane worker thread. */
#include "common.h"

#include <stdio.h>

void tsnet_throw_last(napi_env env, const char *what) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return;
  const napi_extended_error_info *info = NULL;
  napi_get_last_error_info(env, &info);
  char msg[256];
  snprintf(msg, sizeof msg, "tsnet_native: %s failed: %s", what,
           info && info->error_message ? info->error_message : "unknown N-API error");
  napi_throw_error(env, "ETSNET_NAPI", msg);
}

napi_value tsnet_failure(napi_env env, int err, const char *syscall) {
  napi_value obj, e, s;
  NAPI_CALL(env, napi_create_object(env, &obj));
  NAPI_CALL(env, napi_create_int32(env, err, &e));
  NAPI_CALL(env, napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &s));
  NAPI_CALL(env, napi_set_named_property(env, obj, "errno", e));
  NAPI_CALL(env, napi_set_named_property(env, obj, "syscall", s));
  return obj;
}

static void throw_type(napi_env env, const char *what, const char *expected) {
  char msg[160];
  snprintf(msg, sizeof msg, "tsnet_native: %s must be %s", what, expected);
  napi_throw_type_error(env, NULL, msg);
}

int tsnet_arg_function(napi_env env, napi_value v, const char *what, napi_ref *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_function) {
    throw_type(env, what, "a function");
    return -1;
  }
  return napi_create_reference(env, v, 1, out) == napi_ok ? 0 : -1;
}

int tsnet_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv, const char *usage) {
  size_t argc = n;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
    tsnet_throw_last(env, "napi_get_cb_info");
    return -1;
  }
  if (argc < n) {
    napi_throw_type_error(env, NULL, usage);
    return -1;
  }
  return 0;
}

void *tsnet_arg_external(napi_env env, napi_value v, const char *msg) {
  void *p = NULL;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external || napi_get_value_external(env, v, &p) != napi_ok) {
    napi_throw_type_error(env, NULL, msg);
    return NULL;
  }
  return p;
}

void *tsnet_handle_arg(napi_env env, napi_callback_info info, const char *msg) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  return argc ? tsnet_arg_external(env, argv[0], msg) : NULL;
}

int tsnet_set_number(napi_env env, napi_value obj, const char *key, double v) {
  napi_value n;
  if (napi_create_double(env, v, &n) != napi_ok) return -1;
  return napi_set_named_property(env, obj, key, n) == napi_ok ? 0 : -1;
}

napi_value tsnet_export_all(napi_env env, napi_value exports, const struct tsnet_export *fns) {
  for (size_t i = 0; fns[i].name; i++) {
    napi_property_descriptor d = {fns[i].name, NULL, fns[i].fn, NULL, NULL, NULL, napi_enumerable, NULL};
    NAPI_CALL(env, napi_define_properties(env, exports, 1, &d));
  }
  return exports;
}

int tsnet_arg_int32(napi_env env, napi_value v, const char *what, int32_t *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) {
    throw_type(env, what, "a number");
    return -1;
  }
  napi_get_value_int32(env, v, out);
  return 0;
}

int tsnet_arg_bool(napi_env env, napi_value v, const char *what, int *out) {
  bool b = false;
  if (napi_get_value_bool(env, v, &b) != napi_ok) {
    throw_type(env, what, "a boolean");
    return -1;
  }
  *out = b ? 1 : 0;
  return 0;
}

int tsnet_arg_buffer(napi_env env, napi_value v, const char *what, uint8_t **data, size_t *len) {
  bool is = false;
  napi_is_buffer(env, v, &is);
  if (!is || napi_get_buffer_info(env, v, (void **)data, len) != napi_ok) {
    throw_type(env, what, "a Buffer");
    return -1;
  }
  return 0;
}

static int arg_typedarray(napi_env env, napi_value v, const char *what, napi_typedarray_type want,
                          const char *expected, void **data, size_t *len) {
  bool is = false;
  napi_typedarray_type type;
  napi_value ab;
  size_t off;
  napi_is_typedarray(env, v, &is);
  if (!is || napi_get_typedarray_info(env, v, &type, len, data, &ab, &off) != napi_ok || type != want) {
    throw_type(env, what, expected);
    return -1;
  }
  return 0;
}

int tsnet_arg_int32array(napi_env env, napi_value v, const char *what, int32_t **data, size_t *len) {
  return arg_typedarray(env, v, what, napi_int32_array, "an Int32Array", (void **)data, len);
}

int tsnet_arg_float64array(napi_env env, napi_value v, const char *what, double **data, size_t *len) {
  return arg_typedarray(env, v, what, napi_float64_array, "a Float64Array", (void **)data, len);
}

NAPI_MODULE_INIT() {
  if (!tsnet_register_open(env, exports)) return NULL;
  if (!tsnet_register_write(env, exports)) return NULL;
  if (!tsnet_register_reader(env, exports)) return NULL;
  if (!tsnet_register_udp(env, exports)) return NULL;
  return exports;
}
