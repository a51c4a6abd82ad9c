// Validation of driver options (-o KEY=VALUE) and network create requests: MTU, VNI, aging. Each bad
// value is one sentence; unknown options are kept and shown by inspect, like Docker.
import { badRequest } from '../errors.js';
import { AEAD_ALGORITHMS, type AeadAlgorithm } from '../dataplane/aead.js';
import { DEFAULT_AEAD } from '../dataplane/overlay-crypto.js';
import { VXLAN_OVERHEAD_IPV4, VXLAN_OVERHEAD_IPV6 } from '../dataplane/vxlan-port.js';

// --- from the spec ---
/** RFC 791: every host must accept 576-byte datagrams; below that IPv4 breaks. */
export const MIN_MTU = 576;
/** RFC 7348 section 5: the VNI is 24 bits. */
export const MAX_VNI = 0xffffff;
// --- our choice ---
/** Jumbo frames up to 9000 (the TAP read slots hold 9216 bytes). */
export const MAX_MTU = 9000;
export const DEFAULT_BRIDGE_MTU = 1500;
/** Default subnets of global (overlay) networks, like swarm's 10.0.0.0/8 split in /24s (the seed's
 *  multi network got 10.0.1.0/24); tried in order, skipping those in use. */
export const GLOBAL_POOLS: readonly string[] = Array.from({ length: 255 }, (_, i) => `10.0.${i + 1}.0/24`);

function intOption(options: Record<string, string>, keys: string[], what: string, min: number, max: number): number | undefined {
  for (const k of keys) {
    const v = options[k];
    if (v === undefined) continue;
    if (!/^\d+$/.test(v)) throw badRequest('EBAD_OPTION', `option ${k} must be a whole number, not "${v}".`);
    const n = Number(v);
    if (n < min || n > max) throw badRequest('EBAD_OPTION', `${what} ${n} is out of range; use ${min}-${max}.`);
    return n;
  }
  return undefined;
}

export function mtuOption(options: Record<string, string>): number | undefined {
  return intOption(options, ['mtu', 'com.docker.network.driver.mtu'], 'MTU', MIN_MTU, MAX_MTU);
}

export function vniOption(options: Record<string, string>): number | undefined {
  return intOption(options, ['vni', 'com.docker.network.driver.overlay.vxlanid_list'], 'VNI', 1, MAX_VNI);
}

/** FDB aging in seconds (-o aging=300). */
export function agingOption(options: Record<string, string>): number | undefined {
  return intOption(options, ['aging'], 'MAC aging time (seconds)', 1, 86_400);
}

export function driverName(driver: string | undefined, fallback: 'bridge' | 'overlay'): 'bridge' | 'overlay' {
  if (driver === undefined || driver === '') return fallback;
  if (driver === 'bridge' || driver === 'overlay') return driver;
  throw badRequest('EBAD_DRIVER', `unknown network driver "${driver}"; tsnet has bridge and overlay.`);
}

// --- security options (-o encrypted, -o key-file=PATH, -o cipher=NAME, -o max-macs=N,
// -o port-security=false, -o broadcast-rate=N); see src/control/encryption.ts and src/dataplane/port-security.ts ---
/** What sealing adds to each VXLAN packet (src/dataplane/overlay-crypto.ts SEAL_OVERHEAD: 16-byte
 *  seal header + 16-byte AEAD tag); an encrypted overlay's default MTU is that much smaller. */
export const ENCRYPTION_OVERHEAD = 32;

function boolOption(options: Record<string, string>, key: string, fallback: boolean): boolean {
  const v = options[key];
  if (v === undefined) return fallback;
  if (v === '' || v === 'true' || v === '1' || v === 'yes' || v === 'on') return true;
  if (v === 'false' || v === '0' || v === 'no' || v === 'off') return false;
  throw badRequest('EBAD_OPTION', `option ${key} is true or false, not "${v}".`);
}

/** -o masquerade=false: no egress NAT for a network that is not --internal (egress.ts); Docker's
 *  spelling com.docker.network.bridge.enable_ip_masquerade is read too. */
export const MASQUERADE_OPTION = 'masquerade';
const DOCKER_MASQUERADE_OPTION = 'com.docker.network.bridge.enable_ip_masquerade';
export function masqueradeOption(options: Record<string, string>): boolean {
  return boolOption(options, MASQUERADE_OPTION, boolOption(options, DOCKER_MASQUERADE_OPTION, true));
}

/** -o docker=true on a global network: every host's Docker plugin creates a Docker network for it
 *  (docker/network-mirror.ts); the default for global networks made through Docker. */
export const DOCKER_MIRROR_OPTION = 'docker';
export function dockerMirrorOption(options: Record<string, string>): boolean {
  return boolOption(options, DOCKER_MIRROR_OPTION, false);
}

/** -o encrypted (Docker's spelling; value optional) with an optional -o key-file=PATH for overlays
 *  with static peers and -o cipher=NAME (default chacha20-poly1305); null when the network is not
 *  encrypted. Every member must use the same cipher (a global network's options travel with it). */
export function encryptionOption(options: Record<string, string>): { keyFile?: string; cipher: AeadAlgorithm } | null {
  const keyFile = options['key-file'];
  const cipher = options['cipher'];
  const implied = keyFile !== undefined || cipher !== undefined;
  if (implied && !boolOption(options, 'encrypted', true)) {
    throw badRequest('EBAD_OPTION', `option ${keyFile !== undefined ? 'key-file' : 'cipher'} needs an encrypted network; drop -o encrypted=false.`);
  }
  if (!boolOption(options, 'encrypted', implied)) return null;
  if (keyFile !== undefined && !keyFile.startsWith('/')) throw badRequest('EBAD_OPTION', `option key-file needs an absolute path, not "${keyFile}".`);
  if (cipher !== undefined && !(AEAD_ALGORITHMS as readonly string[]).includes(cipher)) {
    throw badRequest('EBAD_OPTION', `option cipher is ${AEAD_ALGORITHMS.join(' or ')}, not "${cipher}".`);
  }
  const chosen = (cipher ?? DEFAULT_AEAD) as AeadAlgorithm;
  return keyFile === undefined ? { cipher: chosen } : { keyFile, cipher: chosen };
}

/** -o key-rotation=DURATION on an encrypted global network: how often the cluster makes the next key
 *  (src/discovery/keys.ts); `30s`, `15m`, `12h`, `7d` or plain seconds, 0 or `off` for never. */
export const KEY_ROTATION_OPTION = 'key-rotation';
/** Docker's encrypted overlays (swarm) rotate their keys every 12 hours; we do the same by default. */
export const DEFAULT_KEY_ROTATION_MS = 12 * 3600_000;
/** A rotated key is pushed 5 s before senders use it (keys.ts ROTATION_LEAD_MS): the next rotation
 *  must not come before every member switched to it. */
export const MIN_KEY_ROTATION_MS = 10_000;
const MAX_KEY_ROTATION_MS = 365 * 86_400_000;
const DURATION_UNIT_MS: Record<string, number> = { '': 1000, s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 };

/** The key rotation interval in ms of an encrypted network (0 = never), or null when it has no
 *  cluster-made keys: not encrypted, or keys from a key file (those rotate by editing the file). */
export function keyRotationOption(options: Record<string, string>): number | null {
  const v = options[KEY_ROTATION_OPTION];
  const enc = encryptionOption(options);
  if (enc === null || enc.keyFile !== undefined) {
    if (v === undefined) return null;
    throw badRequest('EBAD_OPTION', enc === null
      ? 'option key-rotation needs an encrypted network; add -o encrypted.'
      : 'option key-rotation does not apply with -o key-file: add the next key to the key file on every host instead.');
  }
  if (v === undefined) return DEFAULT_KEY_ROTATION_MS;
  if (v === 'off' || v === '0') return 0;
  const m = /^(\d+)(s|m|h|d)?$/.exec(v.trim());
  const ms = m ? Number(m[1]) * DURATION_UNIT_MS[m[2] ?? '']! : NaN;
  if (!(ms >= MIN_KEY_ROTATION_MS && ms <= MAX_KEY_ROTATION_MS)) {
    throw badRequest('EBAD_OPTION', `option key-rotation is a duration from 10s to 365d (like 12h, 30m or 3600), or off; not "${v}".`);
  }
  return ms;
}

/** Default MTU of an overlay network: the underlay's 1500 minus VXLAN (50 bytes over IPv4, 70 when a
 *  peer is IPv6), minus sealing if encrypted. */
export function defaultOverlayMtu(options: Record<string, string>, ipv6Underlay = false): number {
  const vxlan = ipv6Underlay ? VXLAN_OVERHEAD_IPV6 : VXLAN_OVERHEAD_IPV4;
  return DEFAULT_BRIDGE_MTU - vxlan - (encryptionOption(options) ? ENCRYPTION_OVERHEAD : 0);
}

/** -o max-macs=N: learned MAC addresses the network's switch keeps (switch/fdb maxMacs). */
export function maxMacsOption(options: Record<string, string>): number | undefined {
  return intOption(options, ['max-macs'], 'MAC table size', 1, 1_000_000);
}

/** Port security on endpoint ports (-o port-security=false turns the source checks off) and the
 *  per-port broadcast rate (-o broadcast-rate=N frames/s, 0 = unlimited). */
export function portSecurityOption(options: Record<string, string>): { checkSources: boolean; broadcastRatePerSec?: number } {
  return {
    checkSources: boolOption(options, 'port-security', true),
    broadcastRatePerSec: intOption(options, ['broadcast-rate'], 'broadcast rate (frames/s)', 0, 1_000_000),
  };
}
