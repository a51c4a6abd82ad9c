/* When the next burst of periodic traffic is due (used by busy_poll.c's look-ahead window): a pure
 * tracker fed the time of each burst, with no clock or I/O of its own, so a test can drive it with
 * made-up times (burstPeriodTrace in udp_endpoint.c).
 *
 * Learning: a gap within `tolerance_ns` of the smoothed period extends the streak; after
 * BURST_PERIOD_STREAK such gaps in a row the tracker is locked and predicts each burst one period
 * after the last one. Locked, a gap off the period (the sender woke late, or we did and read the
 * burst late) is an off-beat: the period is kept, the prediction re-anchored on the off-beat burst,
 * and only BURST_PERIOD_OFF_BEATS of them in a row unlock it. Locked, the period is refined only
 * from gaps between two bursts read on time (found the thread polling): a burst read after a
 * wakeup is late by that wakeup, so its gaps are biased, and smoothing them in walked the period
 * away from the sender's until every other burst was missed.
 *
 * Chosen by replaying ping's send times (4000 pings at -i 0.002 captured on a veth, 2026-12-07) with
 * made-up wakeup delays for missed bursts and late sends: with 5% of sends late by up to 400 us and
 * 50-150 us wakeups, bursts met 89% (66% when the first off-beat dropped the period, as the tracker
 * first did: each glitch cost four or more unpredicted bursts); keeping the old schedule after a
 * late burst instead of re-anchoring helped senders with a fixed schedule and hurt those that shift
 * theirs after a late send, so it was not kept. */
#include "burst_period.h"

/* Our choice: gaps in a row that must keep to the period before the tracker predicts (one steady
 * gap can be chance; three at the same spacing are a pattern). */
#define BURST_PERIOD_STREAK 3
/* Our choice: off-beats in a row that end the lock. A late burst gives two: its own gap is long and,
 * when the sender keeps a fixed schedule, the next one is short by as much; a third in a row means
 * the traffic changed. */
#define BURST_PERIOD_OFF_BEATS 3

static uint64_t abs_diff(uint64_t a, uint64_t b) {
  return a > b ? a - b : b - a;
}

void burst_period_reset(struct burst_period *p) {
  p->burst_at = p->period_ns = p->due_at = 0;
  p->streak = p->off_beats = p->on_time = 0;
}

uint64_t burst_period_on_burst(struct burst_period *p, uint64_t now, uint64_t tolerance_ns, int on_time) {
  uint64_t gap = now - p->burst_at;
  int first = p->burst_at == 0;
  int both_on_time = on_time && p->on_time;
  p->burst_at = now;
  p->on_time = on_time;
  if (first) return 0;
  int locked = p->streak >= BURST_PERIOD_STREAK;
  int steady = p->period_ns && abs_diff(gap, p->period_ns) <= tolerance_ns;
  if (steady) {
    if (!locked) p->streak++;
    if (!locked || both_on_time) p->period_ns = (3 * p->period_ns + gap) / 4;
    p->off_beats = 0;
  } else if (locked && ++p->off_beats < BURST_PERIOD_OFF_BEATS) {
    /* locked: keep the period, predict from this burst */
  } else {
    p->streak = 0;
    p->off_beats = 0;
    p->period_ns = gap;
  }
  p->due_at = p->streak >= BURST_PERIOD_STREAK ? now + p->period_ns : 0;
  return p->due_at;
}
