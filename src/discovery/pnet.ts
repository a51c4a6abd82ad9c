// libp2p private network (pnet) for `tsnet daemon --cluster-key FILE`: with a pre-shared cluster key,
// every TCP connection of the discovery node is wrapped in XSalsa20 keyed by it (@libp2p/pnet) before
// noise, multistream or the DHT run, so a host without the key cannot join the DHT, read network or
// host records, or reach the sync and key protocols: its handshake fails and the connection closes.
// Key file: the go-ipfs/libp2p "swarm.key" format (`/key/swarm/psk/1.0.0/`, `/base16/`, 64 hex
// digits), or just 64 hex digits, or 32 raw bytes. Used by libp2p-host.ts (clusterProtector) and the
// daemon (readClusterKey, generateClusterKey).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ConnectionProtector } from '@libp2p/interface';
import { preSharedKey } from '@libp2p/pnet';
import { badRequest, notFound } from '../errors.js';

// ---- from the spec (libp2p pnet / go-libp2p-pnet swarm key v1) ----
const SWARM_KEY_HEADER = '/key/swarm/psk/1.0.0/';
const SWARM_KEY_ENCODING = '/base16/';
export const CLUSTER_KEY_BYTES = 32;

// ---- our choice ----
/** The pnet nonce exchange must finish within this (libp2p's default is 1 s; busy 2-core CI). */
const PNET_HANDSHAKE_TIMEOUT_MS = 5000;

/** The swarm-key text libp2p expects, for 32 key bytes. */
export function swarmKeyOf(key: Uint8Array): Uint8Array {
  if (key.length !== CLUSTER_KEY_BYTES) throw badRequest('ECLUSTER_KEY', `a cluster key is ${CLUSTER_KEY_BYTES} bytes, got ${key.length}.`);
  return new TextEncoder().encode(`${SWARM_KEY_HEADER}\n${SWARM_KEY_ENCODING}\n${Buffer.from(key).toString('hex')}`);
}

/** The 32 key bytes of a key file's content (swarm.key format, 64 hex digits, or 32 raw bytes). */
export function parseClusterKey(content: Uint8Array, where = 'the cluster key'): Uint8Array {
  const text = Buffer.from(content).toString('latin1');
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  let hex: string | undefined;
  if (lines[0] === SWARM_KEY_HEADER) {
    if (lines[1] !== SWARM_KEY_ENCODING) throw badRequest('ECLUSTER_KEY', `${where} uses an encoding other than ${SWARM_KEY_ENCODING}; write the key as 64 hex digits.`);
    hex = lines[2];
  } else if (lines.length === 1 && /^[0-9a-fA-F]{64}$/.test(lines[0]!)) {
    hex = lines[0];
  } else if (content.length === CLUSTER_KEY_BYTES) {
    return new Uint8Array(content);
  }
  if (hex === undefined || !/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw badRequest('ECLUSTER_KEY', `${where} is not a cluster key; write 64 hex digits, e.g. \`head -c32 /dev/urandom | od -An -tx1 | tr -d ' \\n' > FILE\`, or use a libp2p swarm.key.`);
  }
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/** Reads a cluster key file; throws ECLUSTER_KEY_FILE / ECLUSTER_KEY with a sentence to act on. */
export function readClusterKey(path: string): Uint8Array {
  let content: Buffer;
  try {
    content = readFileSync(path);
  } catch (err) {
    throw notFound('ECLUSTER_KEY_FILE', `cannot read the cluster key file ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'}); copy the same key file to every host.`);
  }
  return parseClusterKey(content, `the cluster key file ${path}`);
}

/** A new random cluster key in the swarm.key text format (what `--cluster-key` reads). */
export function generateClusterKey(): string {
  return Buffer.from(swarmKeyOf(randomBytes(CLUSTER_KEY_BYTES))).toString('latin1') + '\n';
}

/** The connection protector for libp2p, or undefined without a key (an open cluster). */
export function clusterProtector(clusterKey: Uint8Array | undefined): ((components: unknown) => ConnectionProtector) | undefined {
  if (clusterKey === undefined) return undefined;
  const psk = swarmKeyOf(clusterKey.length === CLUSTER_KEY_BYTES ? clusterKey : parseClusterKey(clusterKey));
  return preSharedKey({ psk, timeout: PNET_HANDSHAKE_TIMEOUT_MS }) as unknown as (components: unknown) => ConnectionProtector;
}
