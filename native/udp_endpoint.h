/* Private to the VTEP's UDP endpoint (udp_endpoint.c and udp_gso.c): the endpoint's state and the
 * few functions the two files share. Nothing else includes this. */
#ifndef TSNET_UDP_ENDPOINT_H
#define TSNET_UDP_ENDPOINT_H

#include "busy_poll.h"
#include "common.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <uv.h>

/* Our choice: send sockets in one endpoint at most (the VTEP uses 8, src/dataplane/vtep.ts). */
#define UDP_MAX_POOL 64
/* Our choice (bench/tap-read.ts, same as the TAP reader): recvmmsg batches per wakeup before
 * yielding to the loop; level-triggered polling brings us back. */
#define UDP_MAX_BATCHES_PER_WAKEUP 4
/* Int32 words of metadata per receive slot (see udp_endpoint.c's header comment). */
#define UDP_META_INTS 8
/* Our choice: datagrams in one udpSendBatch call (the VTEP's send queue, src/dataplane/vtep.ts).
 * It is also the kernel's limit of segments in one UDP GSO send on older kernels
 * (UDP_MAX_SEGMENTS was 64 before Linux 5.12). */
#define UDP_SEND_BATCH_MAX 64

struct udp_ep {
  uv_poll_t poll;
  struct busy_poll bp;
  napi_env env;
  int fds[1 + UDP_MAX_POOL];
  int nfds;
  int family;            /* AF_INET or AF_INET6 */
  int refs;              /* the JS external + each uv handle not yet closed */
  int handles_open;      /* uv handles initialised and not yet closed */
  int closed;            /* fds closed, handles closing: never touch them again */
  int poll_init;
  int gro;               /* UDP_GRO is on for the listening socket */
  int gso_off;           /* the kernel refused a UDP GSO send (EIO): send datagram by datagram */
  uint8_t *base;
  int32_t *meta;
  int32_t frames, slot, headroom;
  struct mmsghdr *msgs;
  struct iovec *iov;
  struct sockaddr_storage *addrs;
  uint8_t *cmsgs;        /* one control buffer per receive slot (UDP_GRO segment size) */
  struct tsnet_batch_js js; /* buffer, meta, onBatch, onError once reading (batch_callbacks.c) */
  napi_async_cleanup_hook_handle cleanup;
  double wakeups, batches, packets, drops, sent, send_errors;
  double gso_sends, gro_packets;
  int last_send_errno;   /* errno of the first failure in the last udpSendBatch, 0 if none */
};

/* Tells the busy-poll window about traffic (udp_endpoint.c): a receive, before JS forwards it
 * (busy_poll_settle follows once JS returned), or a send once it is done. */
void udp_ep_kick(struct udp_ep *e);
void udp_ep_kick_sent(struct udp_ep *e);
/* The endpoint behind a JS handle, or NULL with a TypeError thrown (udp_endpoint.c). */
struct udp_ep *udp_ep_arg(napi_env env, napi_value v);
/* The socket of send slot `slot` (-1: the listening socket). */
static inline int udp_ep_fd(const struct udp_ep *e, int32_t slot) {
  return e->fds[(slot >= 0 && slot + 1 < e->nfds) ? slot + 1 : 0];
}

/* udpSendBatch and udpLastSendErrno (udp_gso.c). */
napi_value udp_js_send_batch(napi_env env, napi_callback_info info);
napi_value udp_js_last_send_errno(napi_env env, napi_callback_info info);

#endif
