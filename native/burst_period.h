/* The period of bursts of traffic and when the next one is due (burst_period.c). */
#ifndef TSNET_BURST_PERIOD_H
#define TSNET_BURST_PERIOD_H

#include <stdint.h>

struct burst_period {
  uint64_t burst_at;  /* the last burst; 0 = none yet */
  uint64_t period_ns; /* smoothed time between bursts */
  uint64_t due_at;    /* the next burst is expected then; 0 = not periodic */
  int streak;         /* steady gaps in a row, up to BURST_PERIOD_STREAK (then locked) */
  int off_beats;      /* gaps off the period in a row while locked */
  int on_time;        /* the last burst found the thread polling */
};

/* Forgets everything learnt. */
void burst_period_reset(struct burst_period *p);
/* A burst at `now` (ns, any monotonic clock), `on_time` if it found the thread polling (so `now` is
 * when it arrived, not when a wakeup let us read it): learns from its gap to the last one and returns
 * when the next is due, or 0 while the bursts do not look periodic. */
uint64_t burst_period_on_burst(struct burst_period *p, uint64_t now, uint64_t tolerance_ns, int on_time);

#endif
