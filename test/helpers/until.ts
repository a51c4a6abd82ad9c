// Polls a condition until it holds or a generous deadline passes: integration tests wait for what
// they need (a peer seen, a name resolving) instead of sleeping for a guessed time.
export async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 30_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
