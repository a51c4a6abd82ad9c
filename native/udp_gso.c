/* Batched sends for the VTEP's UDP endpoint (udp_endpoint.c): a burst of datagrams queued by
 * src/dataplane/vtep.ts, all from one JS Buffer to one destination and one source socket, goes out
 * in one sendmmsg. Runs of equal-sized datagrams become one message with UDP GSO (UDP_SEGMENT,
 * Linux 4.18+): the kernel carries the whole run as one packet through its stack and cuts it into
 * datagrams as late as it can (on a veth underlay the train stays whole up to the receiving
 * socket, which with UDP GRO reads it in one go). The datagrams stay where they are in the JS
 * buffer: each is one iovec of the message, nothing is copied. A kernel or route that refuses GSO
 * (EIO) turns it off for the endpoint; a run it refuses for its size (EINVAL) is sent datagram by
 * datagram. Exports (via udp_endpoint.c): udpSendBatch, udpLastSendErrno. */
#include "udp_endpoint.h"

#include <errno.h>
#include <netinet/udp.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

/* From the kernel (net/ipv4/udp.c udp_send_skb): a GSO run must fit one IP packet. Our choice:
 * stay below 64 KB minus the largest outer IPv6 + UDP headers. */
#define GSO_MAX_RUN_BYTES (65535 - 40 - 8)
#define GSO_CMSG_SPACE CMSG_SPACE(sizeof(uint16_t))

/* Scratch for one call: thread-local, so a worker thread's endpoint never shares it. */
static __thread struct mmsghdr msgs[UDP_SEND_BATCH_MAX];
static __thread struct iovec iovs[UDP_SEND_BATCH_MAX];
static __thread uint8_t cmsgs[UDP_SEND_BATCH_MAX][GSO_CMSG_SPACE];
static __thread int32_t first_of[UDP_SEND_BATCH_MAX]; /* message -> its first datagram */
static __thread int32_t count_of[UDP_SEND_BATCH_MAX]; /* message -> datagrams in it */

static ssize_t send_one(int fd, const struct iovec *iov, const void *sa, socklen_t salen) {
  ssize_t n;
  do {
    n = sendto(fd, iov->iov_base, iov->iov_len, 0, (const struct sockaddr *)sa, salen);
  } while (n < 0 && errno == EINTR);
  return n;
}

/* Groups datagrams [0, count) into messages; returns the message count. */
static int group(struct udp_ep *e, int32_t count, const void *sa, socklen_t salen) {
  int m = 0;
  for (int32_t i = 0; i < count;) {
    size_t size = iovs[i].iov_len;
    size_t total = size;
    int32_t k = 1;
    /* every datagram of a run but the last has the run's size; the last may be shorter */
    if (!e->gso_off) {
      while (i + k < count && iovs[i + k].iov_len <= size && total + iovs[i + k].iov_len <= GSO_MAX_RUN_BYTES) {
        total += iovs[i + k].iov_len;
        k++;
        if (iovs[i + k - 1].iov_len < size) break;
      }
    }
    struct msghdr *h = &msgs[m].msg_hdr;
    memset(h, 0, sizeof *h);
    h->msg_name = (void *)sa;
    h->msg_namelen = salen;
    h->msg_iov = &iovs[i];
    h->msg_iovlen = (size_t)k;
    if (k > 1) {
      h->msg_control = cmsgs[m];
      h->msg_controllen = GSO_CMSG_SPACE;
      struct cmsghdr *c = CMSG_FIRSTHDR(h);
      c->cmsg_level = SOL_UDP;
      c->cmsg_type = UDP_SEGMENT;
      c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
      uint16_t seg = (uint16_t)size;
      memcpy(CMSG_DATA(c), &seg, sizeof seg);
    }
    first_of[m] = i;
    count_of[m] = k;
    m++;
    i += k;
  }
  return m;
}

/* udpSendBatch(handle, slot, buf, offsets, lengths, count, sockaddr) -> datagrams sent. Fewer
 * than count: the others failed, udpLastSendErrno(handle) tells why (EAGAIN: socket buffer full;
 * EBADF: the endpoint is closed). Slot -1 = the listening socket, 0.. = a pool socket. */
napi_value udp_js_send_batch(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  if (tsnet_args(env, info, 7, argv, "tsnet_native: udpSendBatch(handle, slot, buf, offsets, lengths, count, sockaddr)") < 0)
    return NULL;
  struct udp_ep *e = udp_ep_arg(env, argv[0]);
  int32_t slot, count;
  uint8_t *data, *sa;
  size_t cap, salen, noffs, nlens;
  int32_t *offs, *lens;
  if (!e || tsnet_arg_int32(env, argv[1], "slot", &slot) < 0 || tsnet_arg_buffer(env, argv[2], "buf", &data, &cap) < 0 ||
      tsnet_arg_int32array(env, argv[3], "offsets", &offs, &noffs) < 0 ||
      tsnet_arg_int32array(env, argv[4], "lengths", &lens, &nlens) < 0 ||
      tsnet_arg_int32(env, argv[5], "count", &count) < 0 || tsnet_arg_buffer(env, argv[6], "sockaddr", &sa, &salen) < 0)
    return NULL;
  if (count < 0 || count > UDP_SEND_BATCH_MAX || (size_t)count > noffs || (size_t)count > nlens ||
      salen < sizeof(struct sockaddr_in) || salen > sizeof(struct sockaddr_storage)) {
    napi_throw_range_error(env, NULL, "tsnet_native: udpSendBatch count (at most 64) or sockaddr is out of range");
    return NULL;
  }
  for (int32_t i = 0; i < count; i++) {
    if (offs[i] < 0 || lens[i] < 0 || (uint64_t)offs[i] + (uint64_t)lens[i] > cap) {
      napi_throw_range_error(env, NULL, "tsnet_native: udpSendBatch datagram (offset, length) lies outside the buffer");
      return NULL;
    }
    iovs[i].iov_base = data + offs[i];
    iovs[i].iov_len = (size_t)lens[i];
  }
  int32_t result = 0;
  e->last_send_errno = 0;
  if (e->closed) {
    e->last_send_errno = EBADF;
  } else if (count > 0) {
    int fd = udp_ep_fd(e, slot);
    int nmsg = group(e, count, sa, (socklen_t)salen);
    int32_t sent = 0; /* datagrams */
    int first_err = 0;
    for (int m = 0; m < nmsg;) {
      int n;
      do {
        n = sendmmsg(fd, &msgs[m], (unsigned)(nmsg - m), 0);
      } while (n < 0 && errno == EINTR);
      if (n > 0) {
        for (int k = m; k < m + n; k++) {
          sent += count_of[k];
          if (count_of[k] > 1) e->gso_sends++;
        }
        m += n;
        continue;
      }
      /* message m failed */
      int err = errno;
      if (count_of[m] > 1 && (err == EIO || err == EINVAL)) {
        if (err == EIO) e->gso_off = 1; /* no UDP GSO on this path: stop trying */
        for (int32_t i = first_of[m]; i < first_of[m] + count_of[m]; i++) {
          if (send_one(fd, &iovs[i], sa, (socklen_t)salen) >= 0) sent++;
          else if (!first_err) first_err = errno;
        }
      } else {
        if (!first_err) first_err = err;
      }
      m++;
    }
    e->sent += sent;
    e->send_errors += count - sent;
    udp_ep_kick_sent(e);
    result = sent;
    e->last_send_errno = first_err;
  }
  napi_value rv;
  NAPI_CALL(env, napi_create_int32(env, result, &rv));
  return rv;
}

/* udpLastSendErrno(handle) -> errno of the first failure in the last udpSendBatch, 0 if none. */
napi_value udp_js_last_send_errno(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  struct udp_ep *e = argc >= 1 ? udp_ep_arg(env, argv[0]) : NULL;
  if (!e) return NULL;
  napi_value rv;
  NAPI_CALL(env, napi_create_int32(env, e->last_send_errno, &rv));
  return rv;
}
