/* The VTEP's underlay UDP sockets (used only by src/native/udp.ts, for src/dataplane/vtep.ts): one
 * listening socket plus a pool of send sockets on kernel-chosen ports, opened and bound here; a
 * batched receiver (recvmmsg into memory JS allocated once, one slot per datagram with headroom in
 * front) driven by uv_poll on the event-loop thread, waking JS once per burst (convention 4); and
 * sendto straight from a JS Buffer, with no per-packet objects or callbacks (dgram allocates a
 * request, a callback and an address lookup per send).
 *
 * Busy-polling (the window after each datagram sent or received, and the look-ahead window before
 * a periodic burst) is in busy_poll.c; the endpoint owns one and kicks it on traffic.
 *
 * Per-slot metadata (Int32Array, UDP_META_INTS per slot): [length or -1 if dropped (truncated),
 * family 4|6, source port, address words a0..a3 (IPv4: a0 = address, host order; IPv6: the 16
 * bytes as 4 big-endian words), GRO segment size]. An IPv6 socket is dual-stack (IPV6_V6ONLY off,
 * whatever net.ipv6.bindv6only says): bound to the any-address it also takes IPv4 datagrams, whose
 * v4-mapped source is reported as IPv4, and sends to IPv4 peers through v4-mapped addresses.
 * With slots large enough for a 64 KB datagram the listening socket turns UDP GRO on: the kernel
 * may then hand over a train of datagrams from one sender coalesced into one slot, every one
 * `segment size` long but the last (word 7; 0 for a plain datagram); JS splits it. No parsing, no policy: errors go back as {errno, syscall}.
 * Batched sends with UDP GSO are in udp_gso.c.
 * Exports: udpOpen, udpSockaddr, udpSend, udpSendBatch, udpLastSendErrno, udpStartReading, udpSetBusyPoll,
 * udpBurstPeriodTrace (tests), udpStats, udpClose. */
#include "udp_endpoint.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

static void ep_unref(struct udp_ep *e) {
  if (--e->refs > 0) return;
  free(e->msgs);
  free(e->iov);
  free(e->addrs);
  free(e->cmsgs);
  free(e);
}

static void on_handle_closed(uv_handle_t *h) {
  struct udp_ep *e = h->data;
  /* No N-API call here but removing the cleanup hook (this may run during teardown). */
  if (--e->handles_open == 0 && e->cleanup) {
    napi_remove_async_cleanup_hook(e->cleanup);
    e->cleanup = NULL;
  }
  ep_unref(e);
}

static void ep_close(struct udp_ep *e) {
  if (e->closed) return;
  e->closed = 1;
  /* uv_close stops the poll handle and removes the fd from epoll at once, so closing the fds
   * right after is safe. */
  if (e->poll_init) uv_close((uv_handle_t *)&e->poll, on_handle_closed);
  busy_poll_close(&e->bp, on_handle_closed);
  for (int i = 0; i < e->nfds; i++) close(e->fds[i]);
  e->nfds = 0;
}

static void async_cleanup(napi_async_cleanup_hook_handle handle, void *arg) {
  struct udp_ep *e = arg;
  (void)handle;
  e->js.released = 1; /* JS references die with the environment */
  ep_close(e);
}

/* From the kernel (include/linux/udp.h, net/ipv4/udp_offload.c): a coalesced datagram is at most
 * one IP packet's payload. */
#define UDP_GRO_MAX_DATAGRAM 65535
/* Room for the UDP_GRO control message (an int: the segment size). */
#define GRO_CMSG_SPACE CMSG_SPACE(sizeof(int))

void udp_ep_kick(struct udp_ep *e) {
  if (!e->closed) busy_poll_kick(&e->bp);
}

void udp_ep_kick_sent(struct udp_ep *e) {
  if (e->closed) return;
  busy_poll_kick(&e->bp);
  busy_poll_settle(&e->bp);
}

/* ---------------------------------------------------------------- open, addresses */

static int parse_addr(int family, const char *s, int port, struct sockaddr_storage *ss, socklen_t *len) {
  memset(ss, 0, sizeof *ss);
  if (family == AF_INET) {
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, s, &a->sin_addr) != 1) return -1;
    *len = sizeof *a;
    return 0;
  }
  struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
  a->sin6_family = AF_INET6;
  a->sin6_port = htons((uint16_t)port);
  if (inet_pton(AF_INET6, s, &a->sin6_addr) == 1) {
    *len = sizeof *a;
    return 0;
  }
  struct in_addr v4; /* an IPv4 peer of an IPv6 socket: v4-mapped */
  if (inet_pton(AF_INET, s, &v4) != 1) return -1;
  a->sin6_addr.s6_addr[10] = 0xff;
  a->sin6_addr.s6_addr[11] = 0xff;
  memcpy(&a->sin6_addr.s6_addr[12], &v4, 4);
  *len = sizeof *a;
  return 0;
}

static int get_string(napi_env env, napi_value v, const char *what, char *out, size_t cap) {
  size_t n;
  if (napi_get_value_string_utf8(env, v, out, cap, &n) != napi_ok) {
    char msg[96];
    snprintf(msg, sizeof msg, "tsnet_native: %s must be a string", what);
    napi_throw_type_error(env, NULL, msg);
    return -1;
  }
  return 0;
}

static int bound_port(int fd) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) return -1;
  return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* Opens and binds one non-blocking socket; returns the fd or -errno with *syscall set. */
static int open_socket(int family, const struct sockaddr_storage *ss, socklen_t len, int rcvbuf, int sndbuf, const char **syscall) {
  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *syscall = "socket";
    return -errno;
  }
  /* the kernel caps both at net.core.[rw]mem_max; a failure leaves the default, which still works */
  if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (sndbuf > 0) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  if (family == AF_INET6) {
    int off = 0; /* dual-stack; it matters only for the any-address (see the header) */
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off) < 0) {
      int err = errno;
      close(fd);
      *syscall = "setsockopt";
      return -err;
    }
  }
  if (bind(fd, (const struct sockaddr *)ss, len) < 0) {
    int err = errno;
    close(fd);
    *syscall = "bind";
    return -err;
  }
  return fd;
}

static void finalize_ep(napi_env env, void *data, void *hint) {
  struct udp_ep *e = data;
  (void)env;
  (void)hint;
  ep_close(e);
  if (!e->js.in_callback) tsnet_batch_js_release(&e->js);
  ep_unref(e);
}

/* udpOpen(family 4|6, address, port, poolSize, rcvbuf, sndbuf)
 *   -> {handle, port, poolPorts: number[]} | {errno, syscall} */
static napi_value js_open(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (tsnet_args(env, info, 6, argv, "tsnet_native: udpOpen(family, address, port, poolSize, rcvbuf, sndbuf)") < 0)
    return NULL;
  int32_t fam, port, pool, rcvbuf, sndbuf;
  char addr[64];
  if (tsnet_arg_int32(env, argv[0], "family", &fam) < 0 || get_string(env, argv[1], "address", addr, sizeof addr) < 0 ||
      tsnet_arg_int32(env, argv[2], "port", &port) < 0 || tsnet_arg_int32(env, argv[3], "poolSize", &pool) < 0 ||
      tsnet_arg_int32(env, argv[4], "rcvbuf", &rcvbuf) < 0 || tsnet_arg_int32(env, argv[5], "sndbuf", &sndbuf) < 0)
    return NULL;
  if ((fam != 4 && fam != 6) || port < 0 || port > 65535 || pool < 0 || pool > UDP_MAX_POOL) {
    napi_throw_range_error(env, NULL, "tsnet_native: udpOpen family must be 4 or 6, port 0-65535, poolSize 0-64");
    return NULL;
  }
  int family = fam == 4 ? AF_INET : AF_INET6;
  struct sockaddr_storage ss;
  socklen_t sslen;
  if (parse_addr(family, addr, port, &ss, &sslen) < 0) return tsnet_failure(env, EINVAL, "inet_pton");

  uv_loop_t *loop;
  NAPI_CALL(env, napi_get_uv_event_loop(env, &loop));
  struct udp_ep *e = calloc(1, sizeof *e);
  if (!e) return tsnet_failure(env, ENOMEM, "calloc");
  e->env = env;
  e->family = family;
  e->js.released = 1;
  const char *syscall = "socket";
  for (int i = 0; i <= pool; i++) {
    if (i == 1) { /* pool sockets: same address, kernel-chosen port */
      if (family == AF_INET) ((struct sockaddr_in *)&ss)->sin_port = 0;
      else ((struct sockaddr_in6 *)&ss)->sin6_port = 0;
    }
    int fd = open_socket(family, &ss, sslen, rcvbuf, sndbuf, &syscall);
    if (fd < 0) {
      for (int k = 0; k < e->nfds; k++) close(e->fds[k]);
      free(e);
      return tsnet_failure(env, -fd, syscall);
    }
    e->fds[e->nfds++] = fd;
  }
  e->handles_open = busy_poll_init(loop, &e->bp, e);
  e->refs = 1 + e->handles_open; /* the external + the busy-poll handles */
  if (napi_add_async_cleanup_hook(env, async_cleanup, e, &e->cleanup) != napi_ok) e->cleanup = NULL;

  napi_value result, handle, portv, ports;
  if (napi_create_external(env, e, finalize_ep, NULL, &handle) != napi_ok) {
    e->refs--; /* no external: only the busy-poll handles keep it */
    ep_close(e);
    tsnet_throw_last(env, "napi_create_external");
    return NULL;
  }
  NAPI_CALL(env, napi_create_object(env, &result));
  NAPI_CALL(env, napi_create_int32(env, bound_port(e->fds[0]), &portv));
  NAPI_CALL(env, napi_create_array_with_length(env, (size_t)pool, &ports));
  for (int i = 1; i <= pool; i++) {
    napi_value p;
    NAPI_CALL(env, napi_create_int32(env, bound_port(e->fds[i]), &p));
    NAPI_CALL(env, napi_set_element(env, ports, (uint32_t)(i - 1), p));
  }
  NAPI_CALL(env, napi_set_named_property(env, result, "handle", handle));
  NAPI_CALL(env, napi_set_named_property(env, result, "port", portv));
  NAPI_CALL(env, napi_set_named_property(env, result, "poolPorts", ports));
  return result;
}

/* udpSockaddr(family 4|6, address, port) -> Buffer holding the sockaddr to pass to udpSend, or
 * {errno: EINVAL, syscall: 'inet_pton'} for an address that is not an IP literal of that family. */
static napi_value js_sockaddr(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fam, port;
  char addr[64];
  if (argc < 3 || tsnet_arg_int32(env, argv[0], "family", &fam) < 0 ||
      get_string(env, argv[1], "address", addr, sizeof addr) < 0 || tsnet_arg_int32(env, argv[2], "port", &port) < 0)
    return NULL;
  struct sockaddr_storage ss;
  socklen_t len;
  if ((fam != 4 && fam != 6) || port < 0 || port > 65535 || parse_addr(fam == 4 ? AF_INET : AF_INET6, addr, port, &ss, &len) < 0)
    return tsnet_failure(env, EINVAL, "inet_pton");
  napi_value buf;
  void *data;
  NAPI_CALL(env, napi_create_buffer_copy(env, len, &ss, &data, &buf));
  return buf;
}

/* The message thrown for an argument that is not an endpoint handle. */
#define NOT_AN_EP "tsnet_native: expected a UDP endpoint handle from udpOpen()"

static struct udp_ep *get_ep(napi_env env, napi_value v) {
  return tsnet_arg_external(env, v, NOT_AN_EP);
}

struct udp_ep *udp_ep_arg(napi_env env, napi_value v) {
  return get_ep(env, v);
}

/* ---------------------------------------------------------------- send */

/* udpSend(handle, slot, buf, off, len, sockaddr) -> bytes sent, or -errno (-EAGAIN: socket buffer
 * full; -EBADF: closed). slot -1 = the listening socket, 0.. = a pool socket. */
static napi_value js_send(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (tsnet_args(env, info, 6, argv, "tsnet_native: udpSend(handle, slot, buf, off, len, sockaddr)") < 0)
    return NULL;
  struct udp_ep *e = get_ep(env, argv[0]);
  int32_t slot, off, len;
  uint8_t *data, *sa;
  size_t cap, salen;
  if (!e || tsnet_arg_int32(env, argv[1], "slot", &slot) < 0 || tsnet_arg_buffer(env, argv[2], "buf", &data, &cap) < 0 ||
      tsnet_arg_int32(env, argv[3], "off", &off) < 0 || tsnet_arg_int32(env, argv[4], "len", &len) < 0 ||
      tsnet_arg_buffer(env, argv[5], "sockaddr", &sa, &salen) < 0)
    return NULL;
  if (off < 0 || len < 0 || (uint64_t)off + (uint64_t)len > cap || salen < sizeof(struct sockaddr_in) ||
      salen > sizeof(struct sockaddr_storage)) {
    napi_throw_range_error(env, NULL, "tsnet_native: udpSend (offset, length) lies outside the buffer, or bad sockaddr");
    return NULL;
  }
  int32_t r;
  if (e->closed) {
    r = -EBADF;
  } else {
    int fd = udp_ep_fd(e, slot);
    ssize_t n;
    do {
      n = sendto(fd, data + off, (size_t)len, 0, (const struct sockaddr *)sa, (socklen_t)salen);
    } while (n < 0 && errno == EINTR);
    if (n >= 0) {
      e->sent++;
      r = (int32_t)n;
    } else {
      e->send_errors++;
      r = -errno;
    }
    udp_ep_kick_sent(e);
  }
  napi_value rv;
  NAPI_CALL(env, napi_create_int32(env, r, &rv));
  return rv;
}

/* ---------------------------------------------------------------- receive */

static void fill_meta(struct udp_ep *e, int32_t i, int32_t len) {
  int32_t *m = e->meta + (size_t)i * UDP_META_INTS;
  const struct sockaddr_storage *ss = &e->addrs[i];
  m[0] = len;
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
    m[1] = 4;
    m[2] = ntohs(a->sin_port);
    m[3] = (int32_t)ntohl(a->sin_addr.s_addr);
    m[4] = m[5] = m[6] = 0;
  } else if (IN6_IS_ADDR_V4MAPPED(&((const struct sockaddr_in6 *)ss)->sin6_addr)) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss; /* IPv4 on a dual-stack socket */
    uint32_t v4;
    memcpy(&v4, &a->sin6_addr.s6_addr[12], 4);
    m[1] = 4;
    m[2] = ntohs(a->sin6_port);
    m[3] = (int32_t)ntohl(v4);
    m[4] = m[5] = m[6] = 0;
  } else {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
    uint32_t w[4];
    memcpy(w, &a->sin6_addr, 16);
    m[1] = 6;
    m[2] = ntohs(a->sin6_port);
    for (int k = 0; k < 4; k++) m[3 + k] = (int32_t)ntohl(w[k]);
  }
}

/* The segment size of a datagram the kernel coalesced (UDP GRO), 0 for a plain one. */
static int32_t gro_segment_size(struct msghdr *h, struct udp_ep *e) {
  for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR(h, c)) {
    if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      int size;
      memcpy(&size, CMSG_DATA(c), sizeof size);
      if (size > 0) e->gro_packets++;
      return size;
    }
  }
  return 0;
}

/* One recvmmsg into the slots. Returns the datagrams received (0 when none is ready); a fatal
 * errno is left in *err. */
static int32_t drain(struct udp_ep *e, int *err) {
  *err = 0;
  for (int32_t i = 0; i < e->frames; i++) {
    e->msgs[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_storage);
    e->msgs[i].msg_hdr.msg_flags = 0;
    if (e->gro) e->msgs[i].msg_hdr.msg_controllen = GRO_CMSG_SPACE;
  }
  int n;
  do {
    n = recvmmsg(e->fds[0], e->msgs, (unsigned)e->frames, MSG_DONTWAIT, NULL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    /* EAGAIN: drained. ICMP errors and memory pressure are not the socket's end. */
    if (errno != EAGAIN && errno != ECONNREFUSED && errno != EHOSTUNREACH && errno != ENETUNREACH &&
        errno != ENOBUFS && errno != ENOMEM)
      *err = errno;
    return 0;
  }
  for (int32_t i = 0; i < n; i++) {
    int trunc = (e->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
    if (trunc) e->drops++;
    fill_meta(e, i, trunc ? -1 : (int32_t)e->msgs[i].msg_len);
    e->meta[(size_t)i * UDP_META_INTS + 7] = e->gro ? gro_segment_size(&e->msgs[i].msg_hdr, e) : 0;
  }
  return n;
}

static void on_poll(uv_poll_t *h, int status, int events) {
  struct udp_ep *e = h->data;
  (void)events;
  if (e->closed) return;
  napi_handle_scope scope;
  if (napi_open_handle_scope(e->env, &scope) != napi_ok) return;
  if (status < 0) {
    uv_poll_stop(&e->poll);
    tsnet_batch_js_error(&e->js, -status, "uv_poll");
  } else {
    e->wakeups++;
    for (int round = 0; round < UDP_MAX_BATCHES_PER_WAKEUP && !e->closed; round++) {
      int err;
      int32_t n = drain(e, &err);
      if (n > 0) {
        e->batches++;
        e->packets += n;
        udp_ep_kick(e);
        tsnet_batch_js_batch(&e->js, n);
        if (!e->closed) busy_poll_settle(&e->bp);
      }
      if (e->closed) break; /* JS closed the endpoint during the callback */
      if (err) {
        uv_poll_stop(&e->poll);
        tsnet_batch_js_error(&e->js, err, "recvmmsg");
        break;
      }
      if (n < e->frames) break;
    }
  }
  if (e->closed) tsnet_batch_js_release(&e->js);
  napi_close_handle_scope(e->env, scope);
}

/* udpStartReading(handle, buffer, meta, frames, slotSize, headroom, onBatch(count),
 *                 onError(errno, syscall)) -> undefined | {errno, syscall}. Once per endpoint. */
static napi_value js_start_reading(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  if (tsnet_args(env, info, 8, argv,
                 "tsnet_native: udpStartReading(handle, buffer, meta, frames, slotSize, headroom, onBatch, onError)") < 0)
    return NULL;
  struct udp_ep *e = get_ep(env, argv[0]);
  int32_t frames, slot, headroom;
  uint8_t *base;
  size_t cap, nmeta;
  int32_t *meta;
  if (!e || tsnet_arg_buffer(env, argv[1], "buffer", &base, &cap) < 0 ||
      tsnet_arg_int32array(env, argv[2], "meta", &meta, &nmeta) < 0 ||
      tsnet_arg_int32(env, argv[3], "frames", &frames) < 0 || tsnet_arg_int32(env, argv[4], "slotSize", &slot) < 0 ||
      tsnet_arg_int32(env, argv[5], "headroom", &headroom) < 0)
    return NULL;
  if (frames <= 0 || headroom < 0 || slot <= headroom || (uint64_t)frames * (uint64_t)slot > cap ||
      (uint64_t)frames * UDP_META_INTS > nmeta) {
    napi_throw_range_error(env, NULL, "tsnet_native: UDP read batch geometry does not fit its buffers");
    return NULL;
  }
  if (e->closed) return tsnet_failure(env, EBADF, "udpStartReading");
  if (e->poll_init) return tsnet_failure(env, EBUSY, "udpStartReading");
  e->msgs = calloc((size_t)frames, sizeof *e->msgs);
  e->iov = calloc((size_t)frames, sizeof *e->iov);
  e->addrs = calloc((size_t)frames, sizeof *e->addrs);
  e->cmsgs = calloc((size_t)frames, GRO_CMSG_SPACE);
  if (!e->msgs || !e->iov || !e->addrs || !e->cmsgs) return tsnet_failure(env, ENOMEM, "calloc");
  /* UDP GRO only when every slot holds the largest coalesced datagram: a shorter slot would
   * truncate (and so lose) a whole train of datagrams. A kernel without it just does not coalesce. */
  if (slot - headroom >= UDP_GRO_MAX_DATAGRAM) {
    int on = 1;
    e->gro = setsockopt(e->fds[0], SOL_UDP, UDP_GRO, &on, sizeof on) == 0;
  }
  for (int32_t i = 0; i < frames; i++) {
    e->iov[i].iov_base = base + (size_t)i * (size_t)slot + (size_t)headroom;
    e->iov[i].iov_len = (size_t)(slot - headroom);
    e->msgs[i].msg_hdr.msg_name = &e->addrs[i];
    e->msgs[i].msg_hdr.msg_iov = &e->iov[i];
    e->msgs[i].msg_hdr.msg_iovlen = 1;
    e->msgs[i].msg_hdr.msg_control = e->gro ? e->cmsgs + (size_t)i * GRO_CMSG_SPACE : NULL;
    e->msgs[i].msg_hdr.msg_controllen = e->gro ? GRO_CMSG_SPACE : 0;
  }
  e->base = base;
  e->meta = meta;
  e->frames = frames;
  e->slot = slot;
  e->headroom = headroom;
  if (tsnet_batch_js_init(&e->js, env, argv[1], argv[2], argv[6], argv[7], "tsnet:udp-reader", "udpStartReading") < 0)
    return NULL;
  uv_loop_t *loop;
  NAPI_CALL(env, napi_get_uv_event_loop(env, &loop));
  int rc = uv_poll_init(loop, &e->poll, e->fds[0]);
  if (rc < 0) {
    tsnet_batch_js_release(&e->js);
    return tsnet_failure(env, -rc, "uv_poll_init");
  }
  e->poll.data = e;
  e->poll_init = 1;
  e->handles_open++;
  e->refs++;
  rc = uv_poll_start(&e->poll, UV_READABLE, on_poll);
  if (rc < 0) return tsnet_failure(env, -rc, "uv_poll_start");
  return NULL;
}

/* udpSetBusyPoll(handle, windowUs, aheadUs): the busy-poll window after each send/receive and the
 * look-ahead before a periodic burst (busy_poll.c), in microseconds; 0 turns either off. */
static napi_value js_set_busy_poll(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (tsnet_args(env, info, 3, argv, "tsnet_native: udpSetBusyPoll(handle, windowUs, aheadUs)") < 0) return NULL;
  struct udp_ep *e = get_ep(env, argv[0]);
  int32_t us, ahead;
  if (!e || tsnet_arg_int32(env, argv[1], "windowUs", &us) < 0 || tsnet_arg_int32(env, argv[2], "aheadUs", &ahead) < 0)
    return NULL;
  if (!e->closed)
    busy_poll_configure(&e->bp, us > 0 ? (uint64_t)us * 1000u : 0, ahead > 0 ? (uint64_t)ahead * 1000u : 0);
  return NULL;
}

/* udpBurstPeriodTrace(toleranceNs, times, onTime, dues): feeds burst times (ns) and whether each
 * found the thread polling (0/1), Float64Arrays of one length, to a fresh period tracker
 * (burst_period.c, the look-ahead's) and writes when it expects the next burst after each (0 = not
 * periodic) into `dues`. For tests with made-up times. */
static napi_value js_burst_period_trace(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (tsnet_args(env, info, 4, argv, "tsnet_native: udpBurstPeriodTrace(toleranceNs, times, onTime, dues)") < 0) return NULL;
  double tolerance, *times, *on_time, *dues;
  size_t n, k, m;
  if (napi_get_value_double(env, argv[0], &tolerance) != napi_ok || tolerance < 0) {
    napi_throw_type_error(env, NULL, "tsnet_native: toleranceNs must be a number >= 0");
    return NULL;
  }
  if (tsnet_arg_float64array(env, argv[1], "times", &times, &n) < 0 || tsnet_arg_float64array(env, argv[2], "onTime", &on_time, &k) < 0 ||
      tsnet_arg_float64array(env, argv[3], "dues", &dues, &m) < 0)
    return NULL;
  if (k != n || m != n) {
    napi_throw_range_error(env, NULL, "tsnet_native: times, onTime and dues must have one length");
    return NULL;
  }
  struct burst_period p;
  burst_period_reset(&p);
  for (size_t i = 0; i < n; i++) dues[i] = (double)burst_period_on_burst(&p, (uint64_t)times[i], (uint64_t)tolerance, on_time[i] != 0);
  return NULL;
}

/* udpStats(handle) -> {wakeups, batches, packets, drops, sent, sendErrors, busyPollWindows,
 *                     busyPollContended, busyPollAheadWindows, busyPollAheadHits, gsoSends, groPackets} */
static napi_value js_stats(napi_env env, napi_callback_info info) {
  struct udp_ep *e = tsnet_handle_arg(env, info, NOT_AN_EP);
  if (!e) return NULL;
  napi_value obj;
  NAPI_CALL(env, napi_create_object(env, &obj));
  if (tsnet_set_number(env, obj, "wakeups", e->wakeups) < 0 || tsnet_set_number(env, obj, "batches", e->batches) < 0 ||
      tsnet_set_number(env, obj, "packets", e->packets) < 0 || tsnet_set_number(env, obj, "drops", e->drops) < 0 ||
      tsnet_set_number(env, obj, "sent", e->sent) < 0 || tsnet_set_number(env, obj, "sendErrors", e->send_errors) < 0 ||
      tsnet_set_number(env, obj, "busyPollWindows", e->bp.windows) < 0 ||
      tsnet_set_number(env, obj, "busyPollContended", e->bp.contended) < 0 ||
      tsnet_set_number(env, obj, "busyPollAheadWindows", e->bp.ahead_windows) < 0 ||
      tsnet_set_number(env, obj, "busyPollAheadHits", e->bp.ahead_hits) < 0 ||
      tsnet_set_number(env, obj, "busyPollAheadMissHoldoff", e->bp.ahead_miss_holdoff) < 0 ||
      tsnet_set_number(env, obj, "busyPollAheadMissUnpredicted", e->bp.ahead_miss_unpredicted) < 0 ||
      tsnet_set_number(env, obj, "busyPollAheadMissEarly", e->bp.ahead_miss_early) < 0 ||
      tsnet_set_number(env, obj, "busyPollAheadMissLate", e->bp.ahead_miss_late) < 0 ||
      tsnet_set_number(env, obj, "gsoSends", e->gso_sends) < 0 || tsnet_set_number(env, obj, "groPackets", e->gro_packets) < 0)
    return NULL;
  return obj;
}

/* udpClose(handle): stops reading and closes every socket; safe twice and from inside callbacks. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  struct udp_ep *e = tsnet_handle_arg(env, info, NOT_AN_EP);
  if (!e) return NULL;
  ep_close(e);
  if (!e->js.in_callback) tsnet_batch_js_release(&e->js);
  return NULL;
}

napi_value tsnet_register_udp(napi_env env, napi_value exports) {
  static const struct tsnet_export fns[] = {{"udpOpen", js_open}, {"udpSockaddr", js_sockaddr}, {"udpSend", js_send}, {"udpSendBatch", udp_js_send_batch}, {"udpLastSendErrno", udp_js_last_send_errno}, {"udpStartReading", js_start_reading}, {"udpSetBusyPoll", js_set_busy_poll}, {"udpBurstPeriodTrace", js_burst_period_trace}, {"udpStats", js_stats}, {"udpClose", js_close}, {NULL, NULL}};
  return tsnet_export_all(env, exports, fns);
}
