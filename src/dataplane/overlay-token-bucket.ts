// A token bucket with a lazily refilled level and an injected clock. Used by the VXLAN tunnel port
// to rate-limit head-end replication of broadcast, multicast and unknown-unicast frames (one token
// per flooded frame, whatever the number of peers), so that a broadcast storm in one container
// cannot flood every host of the network. Hot path: tryTake() allocates nothing.

export interface TokenBucketOptions {
  /** Tokens added per second. */
  ratePerSec: number;
  /** Bucket size: the largest burst allowed after a quiet period. */
  burst: number;
  /** Milliseconds, monotonic; injected so tests drive time. Default performance.now. */
  clock?: () => number;
}

export class TokenBucket {
  readonly ratePerSec: number;
  readonly burst: number;
  private readonly clock: () => number;
  private level: number;
  private last: number;

  constructor(opts: TokenBucketOptions) {
    if (!(opts.ratePerSec > 0) || !(opts.burst >= 1)) {
      throw new RangeError(`token bucket needs ratePerSec > 0 and burst >= 1, got ${opts.ratePerSec} and ${opts.burst}`);
    }
    this.ratePerSec = opts.ratePerSec;
    this.burst = opts.burst;
    this.clock = opts.clock ?? (() => performance.now());
    this.level = opts.burst;
    this.last = this.clock();
  }

  /** Takes one token if there is one; false means "over the rate". */
  tryTake(): boolean {
    const now = this.clock();
    const elapsed = now - this.last;
    if (elapsed > 0) {
      this.level = Math.min(this.burst, this.level + (elapsed * this.ratePerSec) / 1000);
      this.last = now;
    }
    if (this.level < 1) return false;
    this.level -= 1;
    return true;
  }

  /** Tokens available now (for stats and tests). */
  available(): number {
    const elapsed = this.clock() - this.last;
    return Math.min(this.burst, this.level + (elapsed > 0 ? (elapsed * this.ratePerSec) / 1000 : 0));
  }
}
