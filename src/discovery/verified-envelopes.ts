// Verifies signed envelopes received from peers and remembers which signatures it has already
// verified, so gossip that repeats the same records costs one lookup instead of one ed25519 check.
// Used by the sync wiring (sync-service.ts, sync-handlers.ts).
import { open, type Signed } from './signed.js';
import type { DiscoveryLogger } from './types.js';

// ---- our choice ----
/** Signatures remembered before the set is cleared (bounds memory on a long-running daemon). */
const MAX_SEEN_SIGNATURES = 50_000;

export class EnvelopeVerifier {
  private readonly seen = new Set<string>();

  constructor(private readonly log: DiscoveryLogger) {}

  /**
   * The record inside a verified envelope; undefined if invalid, or if already verified once and
   * `always` is false (the caller has merged it before).
   */
  async open<T>(env: Signed, always = false): Promise<T | undefined> {
    try {
      const e = { body: new Uint8Array(env.body), signer: env.signer, sig: new Uint8Array(env.sig) };
      const id = Buffer.from(e.sig).toString('base64');
      if (!always && this.seen.has(id)) return undefined;
      const rec = await open<T>(e);
      if (this.seen.size > MAX_SEEN_SIGNATURES) this.seen.clear();
      this.seen.add(id);
      return rec;
    } catch (err) {
      this.log.warn(`discovery: dropped a record: ${(err as Error).message}`);
      return undefined;
    }
  }
}
