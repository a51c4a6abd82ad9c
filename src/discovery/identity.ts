// Host identity for the discovery node: an Ed25519 libp2p key given as bytes, read from a key file,
// or generated (and written to the key file with mode 0600 when one is named). The peer id derived
// from it is the host id. Used by node.ts.
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { badRequest } from '../errors.js';

export async function loadIdentity(opts: { privateKey?: Uint8Array; keyFile?: string }): Promise<PrivateKey> {
  if (opts.privateKey) return decode(opts.privateKey, 'the privateKey option');
  if (opts.keyFile) {
    let bytes: Buffer | undefined;
    try {
      bytes = await readFile(opts.keyFile);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (bytes) return decode(bytes, opts.keyFile);
    const key = await generateKeyPair('Ed25519');
    await mkdir(dirname(opts.keyFile), { recursive: true });
    await writeFile(opts.keyFile, privateKeyToProtobuf(key), { mode: 0o600 });
    return key;
  }
  return generateKeyPair('Ed25519');
}

/** A fresh identity as protobuf bytes (tests and tools keep it to restart a host with the same id). */
export async function newPrivateKey(): Promise<Uint8Array> {
  return privateKeyToProtobuf(await generateKeyPair('Ed25519'));
}

function decode(bytes: Uint8Array, where: string): PrivateKey {
  try {
    return privateKeyFromProtobuf(bytes);
  } catch (err) {
    throw badRequest('EBADKEY', `${where} does not hold a libp2p private key (${(err as Error).message}); remove it to generate a new one.`);
  }
}
