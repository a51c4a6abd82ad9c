/* Non-blocking writes of frames to a TAP fd: one frame per call, or a burst of frames in one
 * N-API call (the switch flushes its output once per input batch, convention 4). On an offload
 * TAP (IFF_VNET_HDR) every frame needs a 10-byte struct virtio_net_hdr in front: writeVnet and
 * writeVnetBatch send it with writev (header iovec + frame iovec), never copying the frame. A frame
 * that cannot be written is not retried: the caller counts it as a drop. Exports: write,
 * writeBatch, writeVnet, writeVnetBatch, lastErrno. */
#include "common.h"

#include <errno.h>
#include <stdio.h>
#include <sys/uio.h>
#include <unistd.h>

/* errno of the failure that ended the last short writeBatch/writeVnetBatch on this thread (0 = none). */
static __thread int last_errno;

static ssize_t write_frame(int fd, const uint8_t *p, size_t len) {
  ssize_t n;
  do {
    n = write(fd, p, len);
  } while (n < 0 && errno == EINTR);
  return n;
}

static ssize_t writev_frame(int fd, const uint8_t *hdr, const uint8_t *p, size_t len) {
  struct iovec iov[2] = {{(void *)hdr, TSNET_VNET_HDR_LEN}, {(void *)p, len}};
  ssize_t n;
  do {
    n = writev(fd, iov, 2);
  } while (n < 0 && errno == EINTR);
  return n;
}

static int check_range(napi_env env, int64_t off, int64_t len, size_t cap) {
  if (off < 0 || len < 0 || (uint64_t)(off + len) > cap) {
    napi_throw_range_error(env, NULL, "tsnet_native: frame (offset, length) lies outside the buffer");
    return -1;
  }
  return 0;
}

/* write(fd, buf, off, len) -> bytes written, or -errno (-EAGAIN when the queue is full) */
static napi_value js_write(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (tsnet_args(env, info, 4, argv, "tsnet_native: write(fd, buf, off, len)") < 0) return NULL;
  int32_t fd, off, len;
  uint8_t *data;
  size_t cap;
  if (tsnet_arg_int32(env, argv[0], "fd", &fd) < 0 || tsnet_arg_buffer(env, argv[1], "buf", &data, &cap) < 0 ||
      tsnet_arg_int32(env, argv[2], "off", &off) < 0 || tsnet_arg_int32(env, argv[3], "len", &len) < 0)
    return NULL;
  if (check_range(env, off, len, cap) < 0) return NULL;
  ssize_t n = write_frame(fd, data + off, (size_t)len);
  napi_value r;
  NAPI_CALL(env, napi_create_int32(env, n < 0 ? -errno : (int32_t)n, &r));
  return r;
}

/* The burst arguments shared by writeBatch and writeVnetBatch: (buf, offsets, lengths, count) from
 * argv[0..3], every frame checked against the buffer. Writes the frames behind `hdr` (NULL: plain
 * frames) and returns the count written, stopping at the first failure (its errno is kept for
 * lastErrno()); -1 after throwing. */
static int32_t write_burst(napi_env env, int fd, const uint8_t *hdr, napi_value *argv, const char *name) {
  int32_t count;
  uint8_t *data;
  size_t cap, noffs, nlens;
  int32_t *offs, *lens;
  if (tsnet_arg_buffer(env, argv[0], "buf", &data, &cap) < 0 ||
      tsnet_arg_int32array(env, argv[1], "offsets", &offs, &noffs) < 0 ||
      tsnet_arg_int32array(env, argv[2], "lengths", &lens, &nlens) < 0 || tsnet_arg_int32(env, argv[3], "count", &count) < 0)
    return -1;
  if (count < 0 || (size_t)count > noffs || (size_t)count > nlens) {
    char msg[96];
    snprintf(msg, sizeof msg, "tsnet_native: %s count exceeds the offsets/lengths arrays", name);
    napi_throw_range_error(env, NULL, msg);
    return -1;
  }
  for (int32_t i = 0; i < count; i++)
    if (check_range(env, offs[i], lens[i], cap) < 0) return -1;
  int32_t written = 0;
  last_errno = 0;
  for (; written < count; written++) {
    const uint8_t *p = data + offs[written];
    size_t len = (size_t)lens[written];
    if ((hdr ? writev_frame(fd, hdr, p, len) : write_frame(fd, p, len)) < 0) {
      last_errno = errno;
      break;
    }
  }
  return written;
}

static napi_value int32_result(napi_env env, int32_t v) {
  napi_value r;
  NAPI_CALL(env, napi_create_int32(env, v, &r));
  return r;
}

/* writeBatch(fd, buf, offsets, lengths, count) -> number of frames written; stops at the first
 * failure (its errno is kept for lastErrno()). */
static napi_value js_write_batch(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (tsnet_args(env, info, 5, argv, "tsnet_native: writeBatch(fd, buf, offsets, lengths, count)") < 0) return NULL;
  int32_t fd;
  if (tsnet_arg_int32(env, argv[0], "fd", &fd) < 0) return NULL;
  int32_t written = write_burst(env, fd, NULL, argv + 1, "writeBatch");
  return written < 0 ? NULL : int32_result(env, written);
}

/* The virtio_net_hdr argument: TSNET_VNET_HDR_LEN bytes of `hdr` from hdrOff. NULL after throwing. */
static const uint8_t *arg_vnet_hdr(napi_env env, napi_value buf, napi_value off) {
  uint8_t *data;
  size_t cap;
  int32_t o;
  if (tsnet_arg_buffer(env, buf, "hdr", &data, &cap) < 0 || tsnet_arg_int32(env, off, "hdrOff", &o) < 0) return NULL;
  if (o < 0 || (uint64_t)o + TSNET_VNET_HDR_LEN > cap) {
    napi_throw_range_error(env, NULL, "tsnet_native: the 10-byte virtio_net_hdr lies outside its buffer");
    return NULL;
  }
  return data + o;
}

/* writeVnet(fd, hdr, hdrOff, buf, off, len) -> bytes written (header included), or -errno */
static napi_value js_write_vnet(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (tsnet_args(env, info, 6, argv, "tsnet_native: writeVnet(fd, hdr, hdrOff, buf, off, len)") < 0) return NULL;
  int32_t fd, off, len;
  uint8_t *data;
  size_t cap;
  if (tsnet_arg_int32(env, argv[0], "fd", &fd) < 0) return NULL;
  const uint8_t *hdr = arg_vnet_hdr(env, argv[1], argv[2]);
  if (!hdr) return NULL;
  if (tsnet_arg_buffer(env, argv[3], "buf", &data, &cap) < 0 || tsnet_arg_int32(env, argv[4], "off", &off) < 0 ||
      tsnet_arg_int32(env, argv[5], "len", &len) < 0)
    return NULL;
  if (check_range(env, off, len, cap) < 0) return NULL;
  ssize_t n = writev_frame(fd, hdr, data + off, (size_t)len);
  napi_value r;
  NAPI_CALL(env, napi_create_int32(env, n < 0 ? -errno : (int32_t)n, &r));
  return r;
}

/* writeVnetBatch(fd, hdr, hdrOff, buf, offsets, lengths, count) -> frames written, each with the
 * same virtio_net_hdr in front; stops at the first failure (its errno is kept for lastErrno()). */
static napi_value js_write_vnet_batch(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  if (tsnet_args(env, info, 7, argv, "tsnet_native: writeVnetBatch(fd, hdr, hdrOff, buf, offsets, lengths, count)") < 0)
    return NULL;
  int32_t fd;
  if (tsnet_arg_int32(env, argv[0], "fd", &fd) < 0) return NULL;
  const uint8_t *hdr = arg_vnet_hdr(env, argv[1], argv[2]);
  if (!hdr) return NULL;
  int32_t written = write_burst(env, fd, hdr, argv + 3, "writeVnetBatch");
  return written < 0 ? NULL : int32_result(env, written);
}

/* lastErrno() -> errno that ended the last short writeBatch on this thread, 0 if none */
static napi_value js_last_errno(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  NAPI_CALL(env, napi_create_int32(env, last_errno, &r));
  return r;
}

napi_value tsnet_register_write(napi_env env, napi_value exports) {
  static const struct tsnet_export fns[] = {{"write", js_write}, {"writeBatch", js_write_batch}, {"writeVnet", js_write_vnet}, {"writeVnetBatch", js_write_vnet_batch}, {"lastErrno", js_last_errno}, {NULL, NULL}};
  return tsnet_export_all(env, exports, fns);
}
