// Signed envelopes: a msgpackr-encoded record plus the signer's peer id and an Ed25519 signature
// over the encoded bytes. Records that are relayed by third parties or stored in the DHT (host
// records, network definitions, claims) travel signed so nobody can forge another host's record.
// Also holds the one msgpackr codec used by the sync protocol. Used by dht-records.ts and node.ts.
import type { PrivateKey } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { Packr } from 'msgpackr';

/** Plain maps/arrays (no msgpackr record extension) so any msgpack reader can decode our messages. */
export const packr = new Packr({ useRecords: false, moreTypes: false });

export interface Signed {
  /** msgpack of the record */
  body: Uint8Array;
  /** base58 peer id of the signer */
  signer: string;
  sig: Uint8Array;
}

export async function sign<T>(key: PrivateKey, signer: string, record: T): Promise<Signed> {
  const body = packr.pack(record);
  return { body: new Uint8Array(body), signer, sig: await key.sign(body) };
}

/** Verifies and decodes; throws on a bad signature or malformed envelope. */
export async function open<T>(env: Signed): Promise<T> {
  if (!env || !(env.body instanceof Uint8Array) || !(env.sig instanceof Uint8Array) || typeof env.signer !== 'string') {
    throw new Error('malformed signed envelope');
  }
  const pub = peerIdFromString(env.signer).publicKey;
  if (!pub) throw new Error(`peer id ${env.signer} carries no public key`);
  if (!(await pub.verify(env.body, env.sig))) throw new Error(`bad signature from ${env.signer}`);
  return packr.unpack(env.body) as T;
}

export function encodeSigned(env: Signed): Uint8Array {
  return new Uint8Array(packr.pack(env));
}

export function decodeSigned(bytes: Uint8Array): Signed {
  const v = packr.unpack(bytes) as Signed;
  // msgpackr returns Buffers for bin; normalise to plain Uint8Array views
  return { body: new Uint8Array(v.body), signer: v.signer, sig: new Uint8Array(v.sig) };
}
