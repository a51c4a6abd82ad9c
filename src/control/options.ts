// Validation of driver options (-o KEY=VALUE) and network create requests: MTU, VNI, aging. Each bad
// value is one sentence; unknown options are kept and shown by inspect, like Docker.
import { badRequest } from '../errors.js';

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
/** RFC 7348 overhead on IPv4: outer IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14 = 50. */
export const VXLAN_OVERHEAD = 50;

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
