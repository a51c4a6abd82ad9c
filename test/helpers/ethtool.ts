// Offload features of an interface as `ethtool -k` reports them, for the TAP offload tests.
import { inNs } from './netns.js';

/** Offloads of dev in ns, e.g. {'tcp-segmentation-offload': 'on', 'tx-udp-segmentation': 'on'}. */
export function features(ns: string, dev: string): Record<string, string> {
  const r = inNs(ns, 'ethtool', ['-k', dev]);
  if (r.status !== 0) throw new Error(`ethtool -k ${dev} failed: ${r.stderr}`);
  const out: Record<string, string> = {};
  for (const line of r.stdout.split('\n')) {
    const m = /^\s*([\w-]+): (on|off)/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}
