/* Opening, persisting and closing a TAP device (IFF_TAP | IFF_NO_PI, non-blocking, close-on-exec).
 * With offload, the device also gets IFF_VNET_HDR, a 10-byte struct virtio_net_hdr (TUNSETVNETHDRSZ)
 * and TUNSETOFFLOAD CSUM|TSO4|TSO6|TSO_ECN|USO4|USO6, so the kernel hands us TCP super-frames of up
 * to 64 KB and the UDP_SEGMENT sends of the container's sockets whole (a kernel older than 6.2, which
 * has no USO, gets the same without USO4|USO6: its UDP stays MTU-sized, and open() says uso: false,
 * since such a kernel also refuses UDP_L4 super-frames written to the TAP); without offload
 * TUNSETOFFLOAD 0 clears what an earlier opener of a persistent TAP set.
 * TUNSETIFF looks the name up in the opener's network namespace, so re-attaching a persistent TAP
 * that lives in a container's namespace is done on a short-lived dedicated pthread that setns()es
 * into that namespace, opens, and exits: the event-loop thread never changes namespace
 * (convention 7). Exports: open, setPersist, ifName, close. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h> /* before linux/if_tun.h so that linux/if.h is not pulled in twice */
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* From the kernel ABI (Documentation/networking/tuntap.rst). */
static const char TUN_DEVICE[] = "/dev/net/tun";
/* From include/uapi/linux/virtio_net.h: the header we ask for is exactly struct virtio_net_hdr. */
_Static_assert(sizeof(struct virtio_net_hdr) == TSNET_VNET_HDR_LEN, "struct virtio_net_hdr is 10 bytes");

/* From include/uapi/linux/if_tun.h since Linux 6.2 (older userspace headers lack them). */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6 0x40
#endif
/* Our choice: the offloads of an offload TAP (include/uapi/linux/if_tun.h). Checksum offload, TCP
 * segmentation for IPv4/IPv6 (with ECN) and UDP segmentation (USO, a UDP_SEGMENT send as one frame);
 * no UFO (IP fragments). TAP_OFFLOADS_NO_USO is the fallback for kernels that refuse USO. */
#define TAP_OFFLOADS_NO_USO (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN)
#define TAP_OFFLOADS (TAP_OFFLOADS_NO_USO | TUN_F_USO4 | TUN_F_USO6)

/* Our choice: longest netns path we accept (/var/run/netns/NAME or /proc/PID/ns/net fit easily). */
#define NETNS_PATH_MAX 4096

struct open_req {
  char name[IFNAMSIZ];   /* requested name, "" = kernel chooses */
  int persist;           /* -1 leave as is, 0 clear, 1 set */
  int must_exist;        /* fail with ENODEV instead of creating a new device */
  int offload;           /* IFF_VNET_HDR + TAP_OFFLOADS; 0 clears the offloads */
  int uso;               /* result: the kernel took USO4|USO6 (Linux >= 6.2) */
  char netns[NETNS_PATH_MAX]; /* "" = the caller's namespace */
  /* results */
  int fd;
  int err;
  const char *syscall;
  char actual[IFNAMSIZ];
};

static void fail(struct open_req *r, const char *syscall) {
  r->err = errno ? errno : EIO;
  r->syscall = syscall;
}

/* Runs in whatever namespace the calling thread is in. */
static void open_here(struct open_req *r) {
  if (r->must_exist) {
    errno = 0;
    if (if_nametoindex(r->name) == 0) {
      if (errno == 0 || errno == ENXIO) errno = ENODEV;
      fail(r, "if_nametoindex");
      return;
    }
  }
  int fd = open(TUN_DEVICE, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    fail(r, "open");
    return;
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (r->offload ? IFF_VNET_HDR : 0);
  memcpy(ifr.ifr_name, r->name, IFNAMSIZ);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    fail(r, "ioctl(TUNSETIFF)");
    close(fd);
    return;
  }
  /* The header size and the offloads belong to the device, not the fd: a persistent TAP keeps what
   * its last opener set, so both are set explicitly every time. */
  int hdr_sz = TSNET_VNET_HDR_LEN;
  if (r->offload && ioctl(fd, TUNSETVNETHDRSZ, &hdr_sz) < 0) {
    fail(r, "ioctl(TUNSETVNETHDRSZ)");
    close(fd);
    return;
  }
  /* a kernel without USO refuses the whole set with EINVAL */
  if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)(r->offload ? TAP_OFFLOADS : 0)) == 0) {
    r->uso = r->offload;
  } else if (!(r->offload && errno == EINVAL && ioctl(fd, TUNSETOFFLOAD, (unsigned long)TAP_OFFLOADS_NO_USO) == 0)) {
    fail(r, "ioctl(TUNSETOFFLOAD)");
    close(fd);
    return;
  }
  if (r->persist >= 0 && ioctl(fd, TUNSETPERSIST, (unsigned long)r->persist) < 0) {
    fail(r, "ioctl(TUNSETPERSIST)");
    close(fd);
    return;
  }
  memcpy(r->actual, ifr.ifr_name, IFNAMSIZ);
  r->actual[IFNAMSIZ - 1] = '\0';
  r->fd = fd;
}

static void *open_in_netns_thread(void *arg) {
  struct open_req *r = arg;
  int nsfd = open(r->netns, O_RDONLY | O_CLOEXEC);
  if (nsfd < 0) {
    fail(r, "open(netns)");
    return NULL;
  }
  if (setns(nsfd, CLONE_NEWNET) < 0) {
    fail(r, "setns");
    close(nsfd);
    return NULL;
  }
  close(nsfd);
  open_here(r);
  return NULL; /* the thread ends here, and its namespace with it */
}

/* Copies an optional string argument into buf. Returns 0, 1 if it does not fit, -1 if it threw. */
static int get_string(napi_env env, napi_value v, char *buf, size_t cap) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_undefined || t == napi_null) {
    buf[0] = '\0';
    return 0;
  }
  size_t len = 0;
  if (t != napi_string || napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "tsnet_native: open() name and netnsPath must be strings");
    return -1;
  }
  if (len >= cap) return 1;
  napi_get_value_string_utf8(env, v, buf, cap, &len);
  return 0;
}

/* open(name, persist: -1|0|1, netnsPath, mustExist, offload) -> {fd, name, uso} | {errno, syscall} */
static napi_value js_open(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (tsnet_args(env, info, 5, argv, "tsnet_native: open(name, persist, netnsPath, mustExist, offload)") < 0) return NULL;
  struct open_req r;
  memset(&r, 0, sizeof r);
  r.fd = -1;
  int rc = get_string(env, argv[0], r.name, sizeof r.name);
  if (rc < 0) return NULL;
  if (rc > 0) return tsnet_failure(env, EINVAL, "ioctl(TUNSETIFF)"); /* as the kernel would say */
  rc = get_string(env, argv[2], r.netns, sizeof r.netns);
  if (rc < 0) return NULL;
  if (rc > 0) return tsnet_failure(env, ENAMETOOLONG, "open(netns)");
  int32_t persist;
  if (tsnet_arg_int32(env, argv[1], "persist", &persist) < 0) return NULL;
  r.persist = persist < 0 ? -1 : persist > 0 ? 1 : 0;
  if (tsnet_arg_bool(env, argv[3], "mustExist", &r.must_exist) < 0) return NULL;
  if (tsnet_arg_bool(env, argv[4], "offload", &r.offload) < 0) return NULL;

  if (r.netns[0] == '\0') {
    open_here(&r);
  } else {
    pthread_t th;
    int e = pthread_create(&th, NULL, open_in_netns_thread, &r);
    if (e != 0) return tsnet_failure(env, e, "pthread_create");
    e = pthread_join(th, NULL);
    if (e != 0) return tsnet_failure(env, e, "pthread_join");
  }
  if (r.fd < 0) return tsnet_failure(env, r.err, r.syscall);

  napi_value obj, fd, name, uso;
  NAPI_CALL(env, napi_create_object(env, &obj));
  NAPI_CALL(env, napi_create_int32(env, r.fd, &fd));
  NAPI_CALL(env, napi_create_string_utf8(env, r.actual, NAPI_AUTO_LENGTH, &name));
  NAPI_CALL(env, napi_get_boolean(env, r.uso != 0, &uso));
  NAPI_CALL(env, napi_set_named_property(env, obj, "fd", fd));
  NAPI_CALL(env, napi_set_named_property(env, obj, "name", name));
  NAPI_CALL(env, napi_set_named_property(env, obj, "uso", uso));
  return obj;
}

/* setPersist(fd, on) -> undefined | {errno, syscall} */
static napi_value js_set_persist(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  int on;
  if (argc < 2 || tsnet_arg_int32(env, argv[0], "fd", &fd) < 0) return NULL;
  if (tsnet_arg_bool(env, argv[1], "persist", &on) < 0) return NULL;
  if (ioctl(fd, TUNSETPERSIST, (unsigned long)on) < 0) return tsnet_failure(env, errno, "ioctl(TUNSETPERSIST)");
  return NULL;
}

/* ifName(fd) -> current interface name (it changes when the TAP is renamed, e.g. to eth0) */
static napi_value js_if_name(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  if (argc < 1 || tsnet_arg_int32(env, argv[0], "fd", &fd) < 0) return NULL;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  if (ioctl(fd, TUNGETIFF, &ifr) < 0) return tsnet_failure(env, errno, "ioctl(TUNGETIFF)");
  ifr.ifr_name[IFNAMSIZ - 1] = '\0';
  napi_value name;
  NAPI_CALL(env, napi_create_string_utf8(env, ifr.ifr_name, NAPI_AUTO_LENGTH, &name));
  return name;
}

/* close(fd) -> undefined | {errno, syscall}. The caller stops any reader on the fd first. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  if (argc < 1 || tsnet_arg_int32(env, argv[0], "fd", &fd) < 0) return NULL;
  /* Linux releases the fd even when close() reports an error: never retry. */
  if (close(fd) < 0 && errno != EINTR) return tsnet_failure(env, errno, "close");
  return NULL;
}

napi_value tsnet_register_open(napi_env env, napi_value exports) {
  static const struct tsnet_export fns[] = {{"open", js_open}, {"setPersist", js_set_persist}, {"ifName", js_if_name}, {"close", js_close}, {NULL, NULL}};
  return tsnet_export_all(env, exports, fns);
}
