// Shares one switch's observer (Switch.setObserver) among everyone watching it: several `tsnet
// trace` and `tsnet capture` clients, the dashboard's live view. The observer is set only while at
// least one subscriber is attached and cleared when the last one leaves, so a switch nobody watches
// runs with no observer at all (zero cost; convention 3: debugging uses the observer hook and never
// touches switch internals). A subscriber that throws is removed; the others keep their events.
//
// The registry is a WeakMap keyed by the switch, i.e. data attached to the switch object: every API
// request that traces the same network must find the same tap, and the tap dies with its switch.
import type { Switch, SwitchEvent, SwitchObserver } from '../dataplane/switch.js';

export interface SwitchTap {
  readonly sw: Switch;
  /** Adds a subscriber; returns the function that removes it (idempotent). */
  subscribe(fn: SwitchObserver): () => void;
  readonly subscribers: number;
}

class Tap implements SwitchTap {
  private subs: SwitchObserver[] = [];
  private readonly dispatch = (ev: SwitchEvent): void => {
    const subs = this.subs;
    for (let i = 0; i < subs.length; i++) {
      const fn = subs[i]!;
      try {
        fn(ev);
      } catch {
        this.remove(fn);
      }
    }
  };

  constructor(readonly sw: Switch) {}

  get subscribers(): number {
    return this.subs.length;
  }

  subscribe(fn: SwitchObserver): () => void {
    this.subs = [...this.subs, fn];
    if (this.subs.length === 1) this.sw.setObserver(this.dispatch);
    return () => this.remove(fn);
  }

  private remove(fn: SwitchObserver): void {
    const before = this.subs.length;
    this.subs = this.subs.filter((s) => s !== fn);
    if (before > 0 && this.subs.length === 0) this.sw.setObserver(null);
  }
}

const taps = new WeakMap<Switch, Tap>();

/** The tap of a switch (made on first use). */
export function switchTap(sw: Switch): SwitchTap {
  let t = taps.get(sw);
  if (t === undefined) {
    t = new Tap(sw);
    taps.set(sw, t);
  }
  return t;
}
