/* The busy-poll window of an event-loop thread (busy_poll.c), embedded in the VTEP's UDP endpoint
 * (udp_endpoint.c): the window opened after traffic, its back-off under CPU contention, and the
 * look-ahead window opened just before the next burst of periodic traffic is due. */
#ifndef TSNET_BUSY_POLL_H
#define TSNET_BUSY_POLL_H

#include <stdint.h>
#include <uv.h>

#include "burst_period.h"

struct busy_poll {
  uv_idle_t idle;        /* active while a window is open: libuv then polls with timeout 0 */
  uv_poll_t ahead_poll;  /* readable when the look-ahead timer expires */
  int timer_fd;          /* timerfd of the look-ahead window, -1 without one */
  int idle_active;
  uint64_t window_ns, ahead_ns;       /* settings; 0 = off */
  uint64_t until;                     /* the open window ends then */
  uint64_t contended_at;              /* when a turn last lost a time slice to another task */
  uint64_t holdoff_until, holdoff_ns; /* busy-polling off until then; next hold-off length */
  uint64_t last_kick;                 /* the last packet */
  struct burst_period period;         /* the bursts' period, learnt from their first packets */
  uint64_t due_at;                    /* the look-ahead expects the next burst then; 0 = off */
  uint64_t timer_at;                  /* what the timerfd is armed for now; 0 = disarmed */
  int timer_stale;                    /* a kick in hold-off moved due_at: busy_poll_settle re-arms */
  uint64_t predicted_at;              /* the tracker's due time for the next burst (kept when due_at is dropped) */
  double windows, contended, ahead_windows, ahead_hits;
  /* bursts the look-ahead missed, by why: in a hold-off, none predicted, came before or after the window */
  double ahead_miss_holdoff, ahead_miss_unpredicted, ahead_miss_early, ahead_miss_late;
};

/* Sets the idle handle and the look-ahead timer up on `loop`; both handles' data is `owner`.
 * Returns the number of uv handles initialised (to close later), 1 or 2. */
int busy_poll_init(uv_loop_t *loop, struct busy_poll *bp, void *owner);
/* The window after traffic and the look-ahead before a periodic burst, in ns; 0 turns either off. */
void busy_poll_configure(struct busy_poll *bp, uint64_t window_ns, uint64_t ahead_ns);
/* Traffic just went through: (re)opens the window, learns the period of bursts. No system call:
 * a receive kicks before JS forwards the packet. */
void busy_poll_kick(struct busy_poll *bp);
/* After the packet went on (JS returned, or the send is done): arms the look-ahead timer if a kick
 * in hold-off left it stale (a timerfd_settime between a received datagram and its forwarding
 * cost a system call on the packet's path). */
void busy_poll_settle(struct busy_poll *bp);
/* Closes the handles (each calls `cb` once) and the timer. */
void busy_poll_close(struct busy_poll *bp, uv_close_cb cb);

#endif
