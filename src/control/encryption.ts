// Encrypted overlay networks (`-o encrypted`) in the control plane: builds the sealer
// (src/dataplane/overlay-crypto.ts) a network's tunnel port uses and keeps its key ring current.
// Global networks get their keys from the cluster (src/discovery/keys.ts, over libp2p, members only)
// and use this host's advertised VTEP address as sender id; overlays with static peers read
// `-o key-file=PATH` (the same file on every host; re-read when it changes, which is how they
// rotate) and learn the source address the kernel uses towards their first peer.
// Used by overlay.ts (openOverlay) and views.ts (inspect); rotation by the API.
import dgram from 'node:dgram';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { isIP } from 'node:net';
import { createOverlaySealer, type OverlayKey, type OverlaySealer } from '../dataplane/overlay-crypto.js';
import type { VxlanPort } from '../dataplane/vxlan-port.js';
import { badRequest, notFound, unavailable } from '../errors.js';
import type { Cluster } from './cluster.js';
import type { ControllerCore } from './controller-core.js';
import type { NetworkRecord } from './model.js';
import { DEFAULT_KEY_ROTATION_MS, encryptionOption, keyRotationOption } from './options.js';
import { parseHostPort } from './host-port.js';

// ---- from the spec ----
const KEY_BYTES = 32; // AES-256 (FIPS 197)
// ---- our choice ----
/** How often a static overlay's key file is checked for changes (fs.watchFile polling). */
const KEY_FILE_POLL_MS = 2000;

/** What encryption needs from the cluster (the daemon's cluster adapter provides it as `keys`). */
export interface ClusterKeys {
  /** This host has the encrypted network open: find (or, as creator, make) its key; rotate it every
   *  rotateEveryMs (0 or absent: only by hand), see -o key-rotation. */
  want(networkId: string, rotateEveryMs?: number): Promise<void>;
  forget(networkId: string): void;
  keys(networkId: string): OverlayKey[];
  onKeys(fn: (networkId: string, keys: OverlayKey[]) => void): () => void;
  /** Makes and distributes the next key; it is used for sending a few seconds later. */
  rotate(networkId: string): Promise<OverlayKey>;
}

export type ClusterWithKeys = Cluster & { keys?: ClusterKeys };

const clusterKeysOf = (core: ControllerCore): ClusterKeys | undefined => (core.deps.cluster as ClusterWithKeys | undefined)?.keys;

/** Is this network's tunnel still using `sealer`? (watchers stop themselves when it is not) */
const stillUses = (core: ControllerCore, net: NetworkRecord, sealer: OverlaySealer) => {
  const tun = core.deps.datapath.network(net.id)?.overlay?.tunnel;
  return tun === undefined || tun.sealer === sealer;
};

function decodeKey(text: string, where: string): Uint8Array {
  const raw = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (raw.length !== KEY_BYTES) throw badRequest('EKEY_FILE', `${where}: a key is ${KEY_BYTES} bytes as 64 hex digits or base64 (try \`head -c32 /dev/urandom | base64\`).`);
  return new Uint8Array(raw);
}

/**
 * Parses a key file: one key per line, `KEY`, `ID KEY` or `ID KEY FROM` (ID 1-255, default the line's
 * rank; FROM an ISO date or ms since the epoch from which it is used to send, default at once).
 * Blank lines and lines starting with # are ignored. To rotate without losing packets, add the new
 * key with a FROM a little in the future on every host; remove the old line after the change.
 */
export function parseKeyFile(text: string, path: string): OverlayKey[] {
  const keys: OverlayKey[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const where = `${path} line ${i + 1}`;
    const f = line.split(/\s+/);
    if (f.length > 3) throw badRequest('EKEY_FILE', `${where}: expected KEY, ID KEY or ID KEY FROM.`);
    const id = f.length === 1 ? keys.length + 1 : Number(f[0]);
    if (!Number.isInteger(id) || id < 1 || id > 255) throw badRequest('EKEY_FILE', `${where}: the key id must be 1-255, not "${f[0]}".`);
    const key = decodeKey(f.length === 1 ? f[0]! : f[1]!, where);
    let activeFrom = 0;
    if (f.length === 3) {
      activeFrom = /^\d+$/.test(f[2]!) ? Number(f[2]) : Date.parse(f[2]!);
      if (!Number.isFinite(activeFrom)) throw badRequest('EKEY_FILE', `${where}: "${f[2]}" is not a date (use ISO 8601 or ms since the epoch).`);
    }
    if (keys.some((k) => k.id === id)) throw badRequest('EKEY_FILE', `${where}: key id ${id} appears twice.`);
    keys.push({ id, key, activeFrom });
  }
  if (keys.length === 0) throw badRequest('EKEY_FILE', `${path} holds no key; put one 32-byte key in it (64 hex digits or base64).`);
  return keys;
}

function readKeyFile(path: string): OverlayKey[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw notFound('EKEY_FILE', `cannot read the key file ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'}); give the same file on every host with -o key-file=PATH.`);
  }
  return parseKeyFile(text, path);
}

/** The source address the kernel picks towards `peer` (a connected UDP socket sends nothing). */
function sourceAddressTowards(address: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
    s.once('error', (err) => {
      s.close();
      reject(err);
    });
    s.connect(port, address, () => {
      const local = s.address().address;
      s.close();
      resolve(local);
    });
  });
}

/** A global network's key rotation interval in ms (0 = by hand only). Its options were checked where it
 *  was created; a value this version does not understand (another version made it) is logged, and
 *  the network rotates at the default interval instead of failing to open. */
export function rotationIntervalOf(net: NetworkRecord, log?: (msg: string) => void): number {
  try {
    return keyRotationOption(net.options) ?? 0;
  } catch (err) {
    log?.(`network ${net.name}: ${(err as Error).message} Rotating keys every ${DEFAULT_KEY_ROTATION_MS / 3600_000} h.`);
    return DEFAULT_KEY_ROTATION_MS;
  }
}

/**
 * The sealer for an overlay network's tunnel port, or undefined if the network is not encrypted.
 * Throws ENO_KEY_FILE / EKEY_FILE / ENO_CLUSTER_KEYS (the network then fails to open).
 */
export function overlaySealerFor(core: ControllerCore, net: NetworkRecord): OverlaySealer | undefined {
  const enc = encryptionOption(net.options);
  if (enc === null) return undefined;
  const sealer = createOverlaySealer({ algorithm: enc.cipher });
  if (net.scope === 'global') {
    const cluster = core.deps.cluster;
    const keys = clusterKeysOf(core);
    if (!cluster || !keys) throw unavailable('ENO_CLUSTER_KEYS', `network ${net.name} is encrypted but this daemon has no cluster key service; start it with --advertise (and --cluster-key).`);
    sealer.setLocalAddress(parseHostPort(cluster.vtep).address);
    const current = keys.keys(net.id);
    if (current.length) sealer.setKeys(current);
    const off = keys.onKeys((id, ring) => {
      if (id !== net.id) return;
      if (!stillUses(core, net, sealer)) {
        off();
        return;
      }
      sealer.setKeys(ring);
    });
    keys.want(net.id, rotationIntervalOf(net, core.deps.log)).catch((err: Error) => core.deps.log(`network ${net.name}: keys: ${err.message}`));
    return sealer;
  }
  if (enc.keyFile === undefined) {
    throw badRequest('ENO_KEY_FILE', `encrypted overlay ${net.name} has static peers: give it -o key-file=PATH, the same key file on every host.`);
  }
  const path = enc.keyFile;
  sealer.setKeys(readKeyFile(path));
  const reload = () => {
    if (!stillUses(core, net, sealer)) {
      unwatchFile(path, reload);
      return;
    }
    try {
      sealer.setKeys(readKeyFile(path));
      core.deps.log(`network ${net.name}: keys reloaded from ${path}`);
    } catch (err) {
      core.deps.log(`network ${net.name}: key file ${path} not reloaded: ${(err as Error).message}`);
    }
  };
  watchFile(path, { interval: KEY_FILE_POLL_MS, persistent: false }, reload);
  const first = net.peers?.[0];
  if (first !== undefined) {
    const { address, port } = parseHostPort(first);
    sourceAddressTowards(address, port)
      .then((local) => sealer.setLocalAddress(local))
      .catch((err: Error) => core.deps.log(`network ${net.name}: no route to peer ${first}: ${err.message}; encrypted packets cannot be sent yet`));
  }
  return sealer;
}

/** Rotates the key of an encrypted global network (static overlays rotate through their key file). */
export async function rotateNetworkKey(core: ControllerCore, ref: string): Promise<{ keyId: number; activeFrom: string }> {
  const net = core.findNetwork(ref);
  if (encryptionOption(net.options) === null) throw badRequest('ENOT_ENCRYPTED', `network ${net.name} is not encrypted; create it with -o encrypted.`);
  if (net.scope !== 'global') throw badRequest('EKEY_FILE_ROTATION', `network ${net.name} takes its keys from its key file: add the new key there on every host.`);
  const keys = clusterKeysOf(core);
  if (!keys) throw unavailable('ENO_CLUSTER_KEYS', 'this daemon has no cluster key service; start it with --advertise.');
  const k = await keys.rotate(net.id);
  return { keyId: k.id, activeFrom: new Date(k.activeFrom).toISOString() };
}

/** What `network inspect` shows of a network's encryption (undefined when not encrypted);
 *  rotationMs for networks whose keys the cluster makes (0: rotated by hand only). */
export function encryptionView(tun: VxlanPort | undefined, rotationMs?: number): Record<string, unknown> | undefined {
  const s = tun?.sealer;
  if (!s) return undefined;
  const st = s.keyState();
  return {
    Algorithm: s.algorithm,
    Ready: s.ready,
    SendingKey: st.sending,
    AcceptedKeys: st.accepted,
    ...(rotationMs === undefined ? {} : { KeyRotationSeconds: rotationMs / 1000 }),
    Sealed: s.counters.sealed,
    Opened: s.counters.opened,
    Drops: { ...s.counters.drops },
  };
}
