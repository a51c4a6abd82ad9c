/* Batched TAP reader driven by libuv polling on the event-loop thread (no threadpool reads: a
 * pending threadpool read costs ~40 us per frame and is not interrupted by close). On each
 * wakeup it drains every ready frame into a Buffer allocated once by JS, PACKED: frame n starts
 * `headroom` bytes after the 8-byte aligned end of frame n-1 (the first at `headroom`); its offset
 * goes to meta[frames + n] and its length to meta[n]. Each read() asks for maxFrame + 1 bytes:
 * the TAP returns min(frame, asked) (tun_chr_read_iter), so a read longer than maxFrame is a
 * truncated frame, dropped and counted. The batch ends when `frames` were read or less than
 * headroom + maxFrame + 1 bytes remain. On an
 * offload TAP (vnetHdr = 10) each read also returns a struct virtio_net_hdr: it is read into the
 * 10 bytes of headroom right before the frame, and the length excludes it. The JS callback runs
 * once per batch with the count (convention 4). A full batch (count or buffer) is followed by another
 * drain in the same wakeup, up to MAX_BATCHES_PER_WAKEUP. A failing fd (EBADFD/EIO once its
 * namespace is gone, UV_EBADF from poll) stops the reader and calls the error callback once.
 * readerReadNow drains what is ready right now, without waiting for the loop: for just after a
 * write whose answer the kernel queued inline (an ICMP echo reply, an ARP reply, a TCP ACK).
 * Light traffic: after a wakeup that read at most one frame, the next wakeup (or readNow) reads
 * one frame and hands it over before reading on. A drain only learns that the TAP is empty from
 * a read() returning EAGAIN, a ~1 us system call on this VM that otherwise sits between a lone
 * frame and its forwarding (bench/README.md "Fewer system calls per hop"); busier wakeups keep
 * whole batches.
 * Exports: readerStart, readerStop, readerReadNow, readerStats. */
#include "common.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <uv.h>

/* Our choice (bench/tap-read.ts): batches drained per wakeup before yielding to the loop, so one
 * flooding TAP cannot starve the other handles; level-triggered polling brings us back. */
#define MAX_BATCHES_PER_WAKEUP 4

struct reader {
  uv_poll_t poll;         /* first member: the handle pointer is the reader pointer */
  napi_env env;
  int fd;
  int refs;               /* the JS handle + the uv handle; freed when both are gone */
  int stopped;            /* uv_close called: never touch the fd again */
  uint8_t *base;
  size_t cap;             /* bytes in the buffer */
  int32_t *lengths;       /* meta[0 .. frames) */
  int32_t *offsets;       /* meta[frames .. 2*frames) */
  int32_t frames, max_frame, headroom, vnet;
  int light;              /* the last wakeup read at most one frame: hand the first over alone */
  struct tsnet_batch_js js; /* buffer, lengths, onBatch, onError (batch_callbacks.c) */
  napi_async_cleanup_hook_handle cleanup; /* keeps the addon loaded until the handle is closed */
  double wakeups, batches, frames_read, drops, read_now_frames;
};

static void unref(struct reader *r) {
  if (--r->refs == 0) free(r);
}

static void on_closed(uv_handle_t *h) {
  struct reader *r = (struct reader *)h;
  /* No other N-API call here: this may run during environment teardown. Removing the async
   * cleanup hook tells Node the handle is closed, so it may now unload the addon. */
  if (r->cleanup) napi_remove_async_cleanup_hook(r->cleanup);
  r->cleanup = NULL;
  unref(r);
}

static void stop_reader(struct reader *r) {
  if (r->stopped) return;
  r->stopped = 1;
  uv_close((uv_handle_t *)&r->poll, on_closed);
}

/* The environment (process or worker thread) is going away with the handle still open: close it;
 * Node waits for on_closed before unloading the addon. JS references die with the environment. */
static void async_cleanup(napi_async_cleanup_hook_handle handle, void *arg) {
  struct reader *r = arg;
  (void)handle;
  r->js.released = 1;
  stop_reader(r);
}

static void deliver_error(struct reader *r, int err, const char *syscall) {
  stop_reader(r);
  tsnet_batch_js_error(&r->js, err, syscall);
}

/* Reads ready frames, packed, until EAGAIN, `limit` frames were read or the buffer has no room for
 * one more maximal frame. Returns the count; *empty is set when the fd had no more frames (EAGAIN);
 * a fatal errno is left in *err. */
static int32_t drain(struct reader *r, int32_t limit, int *err, int *empty) {
  int32_t n = 0;
  int32_t tries = r->frames * 2; /* bounds the loop even if every read failed per frame */
  const size_t need = (size_t)r->headroom + (size_t)r->max_frame + 1;
  const size_t vnet = (size_t)r->vnet;
  const ssize_t most = (ssize_t)r->max_frame + (ssize_t)vnet; /* longest read we keep */
  size_t pos = 0; /* 8-byte aligned start of the next frame's headroom */
  *err = 0;
  *empty = 0;
  while (n < limit && tries-- > 0 && pos + need <= r->cap) {
    size_t at = pos + (size_t)r->headroom;
    ssize_t got = read(r->fd, r->base + at - vnet, (size_t)most + 1);
    if (got > (ssize_t)vnet && got <= most) {
      int32_t len = (int32_t)(got - (ssize_t)vnet);
      r->lengths[n] = len;
      r->offsets[n] = (int32_t)at;
      n++;
      pos = (at + (size_t)len + 7) & ~(size_t)7;
      continue;
    }
    if (got >= 0) { /* empty, header only, or longer than maxFrame (truncated): consumed, dropped */
      r->drops++;
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {
      *empty = 1;
      break;
    }
    if (errno == EFAULT || errno == EMSGSIZE) { /* frame larger than maxFrame: consumed, dropped */
      r->drops++;
      continue;
    }
    *err = errno;
    break;
  }
  return n;
}

/* One drain of at most `limit` frames, handed to onBatch when it read something. Returns the count. */
static int32_t drain_and_deliver(struct reader *r, int32_t limit, int *err, int *empty) {
  int32_t n = drain(r, limit, err, empty);
  if (n > 0) {
    r->batches++;
    r->frames_read += n;
    tsnet_batch_js_batch(&r->js, n);
  }
  return n;
}

static void on_poll(uv_poll_t *h, int status, int events) {
  struct reader *r = (struct reader *)h;
  (void)events;
  if (r->stopped) return;
  napi_handle_scope scope;
  if (napi_open_handle_scope(r->env, &scope) != napi_ok) return;
  if (status < 0) {
    deliver_error(r, -status, "uv_poll");
  } else {
    r->wakeups++;
    int32_t got = 0;
    for (int round = 0; round < MAX_BATCHES_PER_WAKEUP; round++) {
      int err, empty;
      got += drain_and_deliver(r, round == 0 && r->light ? 1 : r->frames, &err, &empty);
      if (r->stopped) break; /* JS stopped or closed the TAP during the callback */
      if (err) {
        deliver_error(r, err, "read");
        break;
      }
      if (empty) break; /* a batch ended by a full buffer or frame count is drained again */
    }
    r->light = got <= 1;
  }
  if (r->stopped) tsnet_batch_js_release(&r->js);
  napi_close_handle_scope(r->env, scope);
}

static void finalize_handle(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  unref((struct reader *)data);
}

/* readerStart(fd, buffer, meta: Int32Array(2*frames) = lengths then offsets, frames, maxFrame,
 *             headroom, vnetHdr: 0|10, onBatch(count), onError(errno, syscall))
 *   -> handle | {errno, syscall} */
static napi_value js_reader_start(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  if (tsnet_args(env, info, 9, argv,
                 "tsnet_native: readerStart(fd, buffer, meta, frames, maxFrame, headroom, vnetHdr, onBatch, onError)") < 0)
    return NULL;
  int32_t fd, frames, max_frame, headroom, vnet;
  uint8_t *base;
  size_t cap, nmeta;
  int32_t *meta;
  if (tsnet_arg_int32(env, argv[0], "fd", &fd) < 0 || tsnet_arg_buffer(env, argv[1], "buffer", &base, &cap) < 0 ||
      tsnet_arg_int32array(env, argv[2], "meta", &meta, &nmeta) < 0 ||
      tsnet_arg_int32(env, argv[3], "frames", &frames) < 0 || tsnet_arg_int32(env, argv[4], "maxFrame", &max_frame) < 0 ||
      tsnet_arg_int32(env, argv[5], "headroom", &headroom) < 0 || tsnet_arg_int32(env, argv[6], "vnetHdr", &vnet) < 0)
    return NULL;
  if (frames <= 0 || headroom < 0 || max_frame <= 0 || (uint64_t)headroom + (uint64_t)max_frame + 1 > cap ||
      cap > (size_t)INT32_MAX || (uint64_t)frames * 2 > nmeta) {
    napi_throw_range_error(env, NULL, "tsnet_native: read batch geometry does not fit its buffer");
    return NULL;
  }
  if ((vnet != 0 && vnet != TSNET_VNET_HDR_LEN) || headroom < vnet) {
    napi_throw_range_error(env, NULL, "tsnet_native: vnetHdr must be 0 or 10, and headroom at least vnetHdr");
    return NULL;
  }
  uv_loop_t *loop;
  NAPI_CALL(env, napi_get_uv_event_loop(env, &loop));

  struct reader *r = calloc(1, sizeof *r);
  if (!r) return tsnet_failure(env, ENOMEM, "calloc");
  r->env = env;
  r->fd = fd;
  r->base = base;
  r->cap = cap;
  r->lengths = meta;
  r->offsets = meta + frames;
  r->frames = frames;
  r->max_frame = max_frame;
  r->headroom = headroom;
  r->vnet = vnet;
  r->refs = 1; /* the JS handle; the uv handle adds one once initialised */
  r->stopped = 1;
  napi_value handle;
  if (napi_create_external(env, r, finalize_handle, NULL, &handle) != napi_ok) {
    free(r);
    tsnet_throw_last(env, "napi_create_external");
    return NULL;
  }
  /* From here the external owns r: failures release what was taken and return. */
  if (tsnet_batch_js_init(&r->js, env, argv[1], argv[2], argv[7], argv[8], "tsnet:tap-reader", "readerStart") < 0)
    return NULL;
  int rc = uv_poll_init(loop, &r->poll, fd);
  if (rc < 0) {
    tsnet_batch_js_release(&r->js);
    return tsnet_failure(env, -rc, "uv_poll_init");
  }
  r->refs = 2;
  r->stopped = 0;
  if (napi_add_async_cleanup_hook(env, async_cleanup, r, &r->cleanup) != napi_ok) r->cleanup = NULL;
  rc = uv_poll_start(&r->poll, UV_READABLE, on_poll);
  if (rc < 0) {
    stop_reader(r);
    tsnet_batch_js_release(&r->js);
    return tsnet_failure(env, -rc, "uv_poll_start");
  }
  return handle;
}

/* The message thrown for an argument that is not a reader handle. */
#define NOT_A_READER "tsnet_native: expected a reader handle from readerStart()"

/* readerStop(handle): stops polling; safe to call twice and from inside the callbacks. */
static napi_value js_reader_stop(napi_env env, napi_callback_info info) {
  struct reader *r = tsnet_handle_arg(env, info, NOT_A_READER);
  if (!r) return NULL;
  stop_reader(r);
  if (!r->js.in_callback) tsnet_batch_js_release(&r->js);
  return NULL;
}

/* readerReadNow(handle) -> frames delivered: one drain of what is ready now, as a wakeup would do,
 * with onBatch run before it returns. The answer the kernel generated inline during a write to
 * the TAP (the container's ICMP echo reply, ARP reply, TCP ACK) is then read in the same loop turn
 * instead of the next one (one read() returning EAGAIN when there is none). Does nothing (0) once
 * stopped or inside this reader's own callback, where its buffer is in use. */
static napi_value js_reader_read_now(napi_env env, napi_callback_info info) {
  struct reader *r = tsnet_handle_arg(env, info, NOT_A_READER);
  if (!r) return NULL;
  int32_t n = 0;
  if (!r->stopped && !r->js.in_callback) {
    int err, empty;
    n = drain_and_deliver(r, r->light ? 1 : r->frames, &err, &empty);
    r->read_now_frames += n;
    if (!r->stopped && err) deliver_error(r, err, "read");
    if (r->stopped) tsnet_batch_js_release(&r->js);
  }
  napi_value out;
  NAPI_CALL(env, napi_create_int32(env, n, &out));
  return out;
}

/* readerStats(handle) -> {wakeups, batches, frames, drops, readNowFrames, active} */
static napi_value js_reader_stats(napi_env env, napi_callback_info info) {
  struct reader *r = tsnet_handle_arg(env, info, NOT_A_READER);
  if (!r) return NULL;
  napi_value obj, active;
  NAPI_CALL(env, napi_create_object(env, &obj));
  if (tsnet_set_number(env, obj, "wakeups", r->wakeups) < 0 || tsnet_set_number(env, obj, "batches", r->batches) < 0 ||
      tsnet_set_number(env, obj, "frames", r->frames_read) < 0 || tsnet_set_number(env, obj, "drops", r->drops) < 0 ||
      tsnet_set_number(env, obj, "readNowFrames", r->read_now_frames) < 0)
    return NULL;
  NAPI_CALL(env, napi_get_boolean(env, !r->stopped, &active));
  NAPI_CALL(env, napi_set_named_property(env, obj, "active", active));
  return obj;
}

napi_value tsnet_register_reader(napi_env env, napi_value exports) {
  static const struct tsnet_export fns[] = {{"readerStart", js_reader_start}, {"readerStop", js_reader_stop}, {"readerReadNow", js_reader_read_now}, {"readerStats", js_reader_stats}, {NULL, NULL}};
  return tsnet_export_all(env, exports, fns);
}
