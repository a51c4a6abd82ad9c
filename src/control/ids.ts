// Identifiers: Docker-style 64-hex ids for networks, endpoints and sandboxes, and interface names
// derived from them (15 bytes at most: IFNAMSIZ - 1).
import { randomBytes } from 'node:crypto';

export const newId = (): string => randomBytes(32).toString('hex');

/** Name of a network's host port, like docker's br-<12 hex>. */
export const hostIfNameFor = (networkId: string): string => `ts-${networkId.slice(0, 12)}`;

/** Names the daemon gives host-side interfaces; the startup sweep removes orphans with these prefixes. */
export const HOST_IF_PREFIX = 'ts-';

/** Valid network and container names (Docker's rule). */
export const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;
