/* Experiment, not part of the build or the tests: does io_uring make reading a TAP cheaper than one
 * read() per frame (native/tap_reader.c)? A TAP queue is filled with FRAMES small UDP datagrams sent
 * from a namespace while nobody reads, then drained two ways, measuring the reader thread's CPU time
 * per frame: read() until EAGAIN, and batches of N IORING_OP_READ with RWF_NOWAIT (so a read of an
 * empty queue completes with -EAGAIN instead of arming a poll) submitted with one io_uring_enter.
 * Result and discussion: bench/README.md "Batched TAP reads with io_uring".
 * Build and run as root (needs liburing-dev, python3, iproute2):
 *   gcc -O2 -o /tmp/tap-read-uring bench/experiments/tap-read-uring.c -luring
 *   /tmp/tap-read-uring read; /tmp/tap-read-uring uring 32; /tmp/tap-read-uring uring 128 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define FRAMES 60000
#define REPEATS 6 /* the first is a warm-up, not counted */
#define MAX_BATCH 256

static char bufs[MAX_BATCH][2048];

static double thread_cpu_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

/* Queues FRAMES 64-byte UDP datagrams on the TAP from inside the namespace. */
static void fill_queue(void) {
  char cmd[512];
  snprintf(cmd, sizeof cmd,
           "ip netns exec tsuring python3 -c \"import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);"
           "m=bytes(64)\nfor i in range(%d): s.sendto(m,('10.96.0.1',9))\"",
           FRAMES);
  if (system(cmd) != 0) fprintf(stderr, "sender failed\n");
}

static long drain_read(int fd) {
  long frames = 0;
  for (;;) {
    ssize_t got = read(fd, bufs[0], sizeof bufs[0]);
    if (got >= 0) frames++;
    else if (errno == EAGAIN) return frames;
    else if (errno != EINTR) { perror("read"); return frames; }
  }
}

static long drain_uring(struct io_uring *ring, int fd, int batch) {
  long frames = 0;
  for (;;) {
    for (int i = 0; i < batch; i++) {
      struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
      io_uring_prep_read(sqe, fd, bufs[i], sizeof bufs[i], 0);
      sqe->rw_flags = RWF_NOWAIT;
    }
    io_uring_submit(ring);
    struct io_uring_cqe *cqe;
    unsigned head, seen = 0;
    int empty = 0;
    io_uring_for_each_cqe(ring, head, cqe) {
      if (cqe->res >= 0) frames++;
      else if (cqe->res == -EAGAIN) empty = 1;
      else { fprintf(stderr, "read: %s\n", strerror(-cqe->res)); empty = 1; }
      seen++;
    }
    io_uring_cq_advance(ring, seen);
    if (seen != (unsigned)batch) fprintf(stderr, "%u of %d reads completed inline\n", seen, batch);
    if (empty) return frames;
  }
}

int main(int argc, char **argv) {
  int uring = argc > 1 && strcmp(argv[1], "uring") == 0;
  int batch = argc > 2 ? atoi(argv[2]) : 32;
  if (batch < 1 || batch > MAX_BATCH) batch = 32;
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK);
  struct ifreq ifr = {0};
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  strcpy(ifr.ifr_name, "tsuring0");
  if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0) { perror("tap"); return 1; }
  if (system("ip netns add tsuring && ip link set tsuring0 netns tsuring && "
             "ip -n tsuring link set tsuring0 txqueuelen 100000 up && ip -n tsuring addr add 10.96.0.2/24 dev tsuring0 && "
             "ip -n tsuring neigh replace 10.96.0.1 lladdr 02:00:5e:00:00:01 dev tsuring0 nud permanent") != 0) {
    system("ip netns del tsuring 2>/dev/null");
    return 1;
  }
  struct io_uring ring;
  if (uring && io_uring_queue_init(MAX_BATCH, &ring, 0) < 0) { perror("io_uring_queue_init"); uring = -1; }
  double ns = 0, frames = 0;
  for (int rep = 0; rep < REPEATS && uring >= 0; rep++) {
    fill_queue();
    double t0 = thread_cpu_ns();
    long got = uring ? drain_uring(&ring, fd, batch) : drain_read(fd);
    double t = thread_cpu_ns() - t0;
    if (rep > 0) { ns += t; frames += got; }
  }
  if (uring >= 0) printf("%s batch %d: %.0f frames, %.0f ns per frame\n", uring ? "io_uring" : "read()", uring ? batch : 1, frames, ns / frames);
  close(fd);
  system("ip netns del tsuring");
  return uring < 0;
}
