// What happens to networks and containers, as Docker's `docker events` reports it: network create,
// connect, disconnect, destroy; container create, start, stop, die, destroy. The controller emits
// them where the change is done (after it is saved, never for a change that failed); the API streams
// them to `tsnet events` (src/api/events-route.ts), after the last RECENT_EVENTS for `--since`.
// Listeners run synchronously; what they throw is dropped.

export type EventType = 'network' | 'container';

/** The shape of a Docker event (its API's `events` messages). */
export interface TsnetEvent {
  Type: EventType;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  /** seconds and nanoseconds since the epoch, as Docker's `time` and `timeNano` */
  time: number;
  timeNano: number;
}

/** The attributes of a network's events (Docker's: name and type, the driver). */
export const networkAttributes = (net: { name: string; driver: string; scope?: string }) => ({ name: net.name, type: net.driver, scope: net.scope });

export type EventListener = (e: TsnetEvent) => void;

// --- our choice ---
/** Recent events kept for `tsnet events --since` (Docker keeps 256 in memory; a few KB more here). */
export const RECENT_EVENTS = 1024;

export class EventBus {
  private readonly listeners = new Set<EventListener>();
  private readonly recentRing: TsnetEvent[] = [];

  emit(type: EventType, action: string, id: string, attributes: Record<string, string | undefined>): void {
    const ms = Date.now();
    const attrs: Record<string, string> = {};
    for (const [k, v] of Object.entries(attributes)) if (v !== undefined) attrs[k] = v;
    const e: TsnetEvent = { Type: type, Action: action, Actor: { ID: id, Attributes: attrs }, time: Math.floor(ms / 1000), timeNano: ms * 1e6 };
    if (this.recentRing.push(e) > RECENT_EVENTS) this.recentRing.shift();
    for (const fn of this.listeners) {
      try {
        fn(e);
      } catch {
        // a listener's failure is its own (a closed stream); the change it reports is done
      }
    }
  }

  /** The kept events from `sinceMs` on (ms since the epoch), oldest first. */
  recent(sinceMs: number): TsnetEvent[] {
    return this.recentRing.filter((e) => e.timeNano / 1e6 >= sinceMs);
  }

  subscribe(fn: EventListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}
