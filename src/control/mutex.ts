// Serialises the controller's mutations: one create/connect/disconnect/rm at a time, so state
// changes and their system effects never interleave.
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
