/* Busy-polling for the VTEP's event-loop thread (used by udp_endpoint.c and udp_gso.c).
 *
 * The window after traffic: after a datagram is sent or received, the event loop keeps polling
 * without sleeping (an active uv_idle handle makes libuv poll with timeout 0) for `window_ns`. A
 * reply to what was just sent, or the next frame of a burst on any fd of the loop (the TAP
 * readers too), is then picked up without a scheduler wakeup, which is most of a userspace hop's
 * latency on a VM.
 *
 * The look-ahead window: when bursts come at a steady period (a ping every 2 ms, a 20 ms voice
 * stream, a game tick, a heartbeat) the thread arms a timer to wake `ahead_ns` before the next
 * burst is due and polls until a quarter of that after it, so the burst finds the thread running
 * instead of paying for a wakeup (the same trade as the Linux block layer's hybrid polling: sleep
 * most of the expected wait, poll the rest); the timer is set when a window ends, not on the
 * packet's path. A burst is a packet after at least `window_ns`
 * without one. The period and when the next burst is due come from burst_period.c (steady gaps
 * within ahead_ns / 2 of the smoothed period; a lone late burst does not end it). It only runs
 * where it costs at most a quarter of a CPU (period >= 5 x ahead_ns).
 *
 * Both windows spin inside the idle callback (on_idle), polling the loop's epoll fd and yielding the
 * CPU every few us, and hand back to libuv as soon as something is ready. When one yield or poll
 * of the spin takes a time slice (no JS or GC runs inside one, so the wall clock alone tells; the
 * thread's CPU clock, read before, is a 1.3 us system call on this VM and was read twice per spin
 * round, see bench/README.md "Fewer system calls per hop"), other processes compete for this CPU
 * and spinning hurts: a runnable task is not woken (and so not preempted in) when a packet
 * arrives, it waits behind the other task's
 * slice (tsnet ping p50 3.9-7.8 ms instead of ~0.12 ms with two `yes` loops on this 2-core VM,
 * udp-rr p50 7.7 ms). So a second such turn soon after the first ends the window and turns
 * busy-polling off for a hold-off that doubles while the contention lasts (sleeping in epoll is
 * then the fast path: a wakeup preempts the busy task). The first window after a hold-off probes
 * again.
 * Counters: windows (after traffic), contended (windows cut), ahead_windows (look-ahead windows
 * opened), ahead_hits (bursts that arrived while one was open, so found the thread polling), and
 * the bursts it missed by why (ahead_miss_*: busy-polling in a hold-off, no burst predicted yet, or
 * the burst came before or after its window). */
#include "busy_poll.h"

#include <poll.h>
#include <sched.h>
#include <stddef.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

/* Our choice (bench/e2e `--paths tinc,tsnet --rounds 1 --count 1000 --probes 1000 --seconds 1`, idle
 * and with two `yes` loops): this long in one yield or one poll of the spin means another
 * task ran a time slice (EEVDF's base slice is 0.75 ms x (1 + log2 CPUs), 1.5 ms here), not a
 * peer's turnaround (tens of us). 250 us also fired without load and cost the idle machine its
 * busy-poll gain. */
#define SPIN_CONTENDED_NS 1000000u
/* Our choice (same runs): the first hold-off and its cap. Under contention each probe (a window
 * after a hold-off) can cost one late packet, so the hold-off doubles while contention lasts; a
 * clean window resets it, so a one-off stall (GC, a peer's long turn) costs only 200 ms. */
#define SPIN_HOLDOFF_MIN_NS 200000000u
#define SPIN_HOLDOFF_MAX_NS 32000000000u
/* Our choice (lab runs of the bench topology, 2026-11-28): a turn that lost a time slice ends the
 * window only when another one did within this long. A lone lost slice (a V8 compiler thread, a
 * kworker) is not contention; cutting on it kept a 2.5 ms window in hold-off for most of a 2 ms-
 * interval ping run (p50 196-257 us against 123-183 without cutting). With two `yes` loops every
 * other turn loses a slice, so the window still ends within a few ms (ping p50 393-415 us, as with
 * busy-polling off; counting consecutive lost turns instead let yielding turns in between reset
 * the count and made it 3.8-4.1 ms). */
#define SPIN_CONTENDED_REPEAT_NS 20000000u
/* Our choice (a sampling heap profile of both switches of bench/e2e's tsnet path, 6 s of pings,
 * 2026-12-06): the longest spin in one idle turn before libuv runs a loop iteration (timers,
 * immediates) again; see on_idle. Garbage made outside JS ("(V8 API)"): 3.3-3.6 MB returning on
 * every round, 1.2-1.3 MB with 50 us, 0.5-0.6 MB with 250 us (0.23 MB with busy-polling off). Node's
 * timers have 1 ms resolution, so 250 us late is within their own error. */
#define SPIN_SLICE_NS 250000u
/* Our choice (bench/e2e --paths tsnet, alternating A/B runs against returning to the loop on every
 * round, 2026-12-06): yield at most this often while spinning. Yielding on every round of the inner
 * spin (~1.5 us) looked worse (ping56 p50 median 165 against 142 us over 7 pairs; each sched_yield
 * also pushes the thread's EEVDF deadline further); with this pacing 3 pairs gave ping56 p99.9
 * 3.4-4.3 ms against 3.8-5.6 ms, prober and UDP request/response p50 lower in all three. */
#define SPIN_YIELD_EVERY_NS 5000u
/* Our choice (lab runs of the bench topology, 2026-11-28): the look-ahead window stays open this
 * fraction of ahead_ns after the burst was due. Bursts of a steady period come on time or early
 * (once the look-ahead meets them they no longer pay a wakeup), seldom late, so the window can
 * close soon after: 312 us per period instead of 500 for the same 250 us lead (ping p50 107-118 us,
 * against 100-104 with the symmetric window in an earlier batch: the same within this VM's noise). */
#define AHEAD_TRAIL_DIVISOR 4
/* Our choice: the look-ahead window costs at most a quarter of a CPU (window <= period / 4). */
#define AHEAD_MAX_DUTY_DIVISOR 4
/* Our choice: no look-ahead for bursts further apart than this (a wakeup is then rare anyway). */
#define AHEAD_MAX_PERIOD_NS 1000000000u

#define BP_OF(handle, member) ((struct busy_poll *)((char *)(handle) - offsetof(struct busy_poll, member)))

/* A window lost a time slice to another task: once now and then is not contention (a compiler
 * thread, a kworker); a second time soon after is, and busy-polling stops for a hold-off (see the
 * header). Returns whether the window must end. */
static int lost_slice(struct busy_poll *bp) {
  uint64_t t = uv_hrtime();
  if (t - bp->contended_at >= SPIN_CONTENDED_REPEAT_NS) {
    bp->contended_at = t;
    return 0;
  }
  bp->contended++;
  bp->holdoff_until = t + bp->holdoff_ns;
  bp->holdoff_ns = bp->holdoff_ns >= SPIN_HOLDOFF_MAX_NS / 2 ? SPIN_HOLDOFF_MAX_NS : bp->holdoff_ns * 2;
  return 1;
}

/* How long the look-ahead window stays open after the burst was due. */
static uint64_t ahead_trail_ns(const struct busy_poll *bp) {
  return bp->ahead_ns / AHEAD_TRAIL_DIVISOR;
}

/* The look-ahead timer: armed for `due_at - ahead_ns`, or disarmed without a due burst. It is
 * only needed once the thread may sleep, so it is set when a window ends (or none opens), not on
 * each burst: timerfd_settime on the receive path cost a system call before the frame went on. */
static void sync_timer(struct busy_poll *bp) {
  /* A burst not there by the end of its look-ahead is late: nothing to aim at until it comes (a
   * timer for a time past would fire at once, open a window that ends at once, and so on). */
  if (bp->due_at && uv_hrtime() >= bp->due_at + ahead_trail_ns(bp)) bp->due_at = 0;
  uint64_t at = bp->due_at ? bp->due_at - bp->ahead_ns : 0;
  if (bp->timer_fd < 0 || at == bp->timer_at) return;
  /* uv_hrtime and CLOCK_MONOTONIC are one clock; a time already past fires at once */
  struct itimerspec its = {{0, 0}, {(time_t)(at / 1000000000u), (long)(at % 1000000000u)}};
  timerfd_settime(bp->timer_fd, at ? TFD_TIMER_ABSTIME : 0, &its, NULL);
  bp->timer_at = at;
}

/* A window reaching into the look-ahead of the next burst runs on through it (what the timer
 * would have opened had it been armed). Returns whether the window now ends later. */
static int run_into_look_ahead(struct busy_poll *bp, uint64_t now) {
  if (!bp->due_at || now + bp->ahead_ns < bp->due_at || now >= bp->due_at + ahead_trail_ns(bp)) return 0;
  if (now < bp->holdoff_until) return 0;
  bp->ahead_windows++;
  bp->until = bp->due_at + ahead_trail_ns(bp);
  return 1;
}

/* One idle turn of an open window. It spins here, yielding every SPIN_YIELD_EVERY_NS, until the
 * loop has an event to handle (its epoll fd is readable: a packet, the look-ahead timer, a message
 * from another thread, a signal), the window ends, a slice is lost, or SPIN_SLICE_NS passed; libuv
 * then handles what is ready in this iteration's poll phase (timeout 0 while the idle handle is
 * active). Returning to the loop on every round instead costs a whole loop iteration per round, and Node
 * allocates a JS object in each iteration's check phase (the scope of its native immediates):
 * hundreds of KB/s of garbage while a window is open. The slice bounds how late timers and
 * immediates run while polling. A turn starts with a yield: the peer we just sent to (often woken
 * onto this very CPU) goes first. */
static void on_idle(uv_idle_t *h) {
  struct busy_poll *bp = BP_OF(h, idle);
  struct pollfd loop_events = {uv_backend_fd(h->loop), POLLIN, 0};
  uint64_t now = uv_hrtime();
  uint64_t slice_end = now + SPIN_SLICE_NS;
  uint64_t yield_at = now;
  while (now < bp->until || run_into_look_ahead(bp, now)) {
    if (now >= yield_at) {
      sched_yield();
    } else if (poll(&loop_events, 1, 0) > 0) {
      return;
    }
    uint64_t t = uv_hrtime();
    if (t - now >= SPIN_CONTENDED_NS) { /* that yield or poll lost a time slice (see the header) */
      if (lost_slice(bp)) goto stop;
      return;
    }
    if (now >= yield_at) yield_at = t + SPIN_YIELD_EVERY_NS;
    now = t;
    if (now >= slice_end) return;
  }
  bp->holdoff_ns = SPIN_HOLDOFF_MIN_NS; /* a whole window without contention */
stop:
  uv_idle_stop(h);
  bp->idle_active = 0;
  sync_timer(bp);
}

/* Keeps polling until `until` (or later, if a window already reaches further). */
static void open_window(struct busy_poll *bp, uint64_t until) {
  if (until > bp->until) bp->until = until;
  if (bp->idle_active) return;
  bp->idle_active = 1;
  uv_idle_start(&bp->idle, on_idle);
}

static void expect_burst(struct busy_poll *bp, uint64_t due) {
  bp->due_at = bp->predicted_at = due;
}

static void stop_expecting(struct busy_poll *bp) {
  bp->due_at = bp->predicted_at = 0;
}

/* The first packet after a quiet spell: counts it if a look-ahead window met it, and arms the
 * look-ahead for the next burst if the bursts are periodic and the window is cheap enough. */
static void on_burst(struct busy_poll *bp, uint64_t now, int polling) {
  uint64_t p = bp->predicted_at;
  if (polling && bp->due_at && now + bp->ahead_ns >= bp->due_at && now <= bp->due_at + ahead_trail_ns(bp))
    bp->ahead_hits++;
  else if (now < bp->holdoff_until)
    bp->ahead_miss_holdoff++;
  else if (!p)
    bp->ahead_miss_unpredicted++;
  else if (now + bp->ahead_ns < p)
    bp->ahead_miss_early++;
  else
    bp->ahead_miss_late++;
  uint64_t due = burst_period_on_burst(&bp->period, now, bp->ahead_ns / 2, polling);
  uint64_t window = bp->ahead_ns + ahead_trail_ns(bp);
  uint64_t period = bp->period.period_ns;
  if (due && period >= AHEAD_MAX_DUTY_DIVISOR * window && period <= AHEAD_MAX_PERIOD_NS)
    expect_burst(bp, due);
  else
    stop_expecting(bp);
}

static void on_ahead_timer(uv_poll_t *h, int status, int events) {
  struct busy_poll *bp = BP_OF(h, ahead_poll);
  (void)events;
  uint64_t expirations;
  if (status < 0 || read(bp->timer_fd, &expirations, sizeof expirations) != sizeof expirations) return;
  bp->timer_at = 0; /* one-shot: it is disarmed now */
  uint64_t now = uv_hrtime();
  if (!bp->due_at || bp->window_ns == 0 || now < bp->holdoff_until) return;
  if (now + bp->ahead_ns < bp->due_at) { /* armed for a burst that came early: aim at the next */
    if (!bp->idle_active) sync_timer(bp);
    return;
  }
  bp->ahead_windows++;
  open_window(bp, bp->due_at + ahead_trail_ns(bp));
}

void busy_poll_kick(struct busy_poll *bp) {
  if (bp->window_ns == 0) return;
  uint64_t now = uv_hrtime();
  /* polling: a window is open (the idle handle may still be active for one turn after it ended) */
  if (bp->ahead_ns && now - bp->last_kick >= bp->window_ns) on_burst(bp, now, bp->idle_active && now <= bp->until);
  bp->last_kick = now;
  if (now < bp->holdoff_until) {
    bp->timer_stale = 1; /* no window will end to arm it: busy_poll_settle does, off the packet's path */
    return;
  }
  if (!bp->idle_active) bp->windows++;
  open_window(bp, now + bp->window_ns);
}

void busy_poll_settle(struct busy_poll *bp) {
  if (!bp->timer_stale) return;
  bp->timer_stale = 0;
  if (!bp->idle_active) sync_timer(bp);
}

void busy_poll_configure(struct busy_poll *bp, uint64_t window_ns, uint64_t ahead_ns) {
  bp->window_ns = window_ns;
  bp->ahead_ns = window_ns && bp->timer_fd >= 0 ? ahead_ns : 0;
  stop_expecting(bp);
  sync_timer(bp);
  burst_period_reset(&bp->period);
}

int busy_poll_init(uv_loop_t *loop, struct busy_poll *bp, void *owner) {
  bp->holdoff_ns = SPIN_HOLDOFF_MIN_NS;
  uv_idle_init(loop, &bp->idle);
  bp->idle.data = owner;
  /* without a timer (or its poll handle) there is just no look-ahead window */
  bp->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (bp->timer_fd >= 0 && uv_poll_init(loop, &bp->ahead_poll, bp->timer_fd) == 0) {
    bp->ahead_poll.data = owner;
    uv_poll_start(&bp->ahead_poll, UV_READABLE, on_ahead_timer);
    uv_unref((uv_handle_t *)&bp->ahead_poll); /* an armed timer alone does not keep the process up */
    return 2;
  }
  if (bp->timer_fd >= 0) close(bp->timer_fd);
  bp->timer_fd = -1;
  return 1;
}

void busy_poll_close(struct busy_poll *bp, uv_close_cb cb) {
  uv_close((uv_handle_t *)&bp->idle, cb);
  if (bp->timer_fd >= 0) {
    /* uv_close takes the fd out of epoll at once, so closing it right after is safe */
    uv_close((uv_handle_t *)&bp->ahead_poll, cb);
    close(bp->timer_fd);
    bp->timer_fd = -1;
  }
  bp->window_ns = bp->ahead_ns = 0;
}
