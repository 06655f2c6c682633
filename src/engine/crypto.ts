/**
 * Keys and authenticated encryption: AES-256-GCM with random 96-bit nonces, stored as
 * nonce || ciphertext || tag. The master key is random and wrapped by a key derived from the
 * passphrase with scrypt. A null key means an unencrypted drive: seal/open pass data through.
 */
import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCb } from 'node:crypto';

export const NONCE = 12;
export const TAG = 16;

export interface KdfParams {
  name: 'scrypt';
  N: number;
  r: number;
  p: number;
  salt: string;
}

// nonces come from a pool refilled 1024 at a time: one randomBytes call per nonce costs more
// than sealing a small chunk
let noncePool = Buffer.alloc(0);
let noncePos = 0;
function nextNonce(): Buffer {
  if (noncePos + NONCE > noncePool.length) {
    noncePool = randomBytes(NONCE * 1024);
    noncePos = 0;
  }
  const n = noncePool.subarray(noncePos, noncePos + NONCE);
  noncePos += NONCE;
  return n;
}

export function seal(key: Buffer | null, plain: Uint8Array): Buffer {
  if (key === null) return Buffer.from(plain);
  return Buffer.concat(sealParts(key, plain));
}

/** The pieces of seal()'s output in order, for callers that copy them into a larger buffer once. */
export function sealParts(key: Buffer | null, plain: Uint8Array): Uint8Array[] {
  if (key === null) return [plain];
  const nonce = nextNonce();
  const c = createCipheriv('aes-256-gcm', key, nonce);
  const body = c.update(plain);
  const fin = c.final();
  return [nonce, body, fin, c.getAuthTag()];
}

/** Returns the plaintext, or null when the tag does not verify (wrong key or damaged data). */
export function open(key: Buffer | null, sealed: Uint8Array): Buffer | null {
  if (key === null) return Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (sealed.length < NONCE + TAG) return null;
  const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  const d = createDecipheriv('aes-256-gcm', key, buf.subarray(0, NONCE));
  d.setAuthTag(buf.subarray(buf.length - TAG));
  try {
    const plain = d.update(buf.subarray(NONCE, buf.length - TAG));
    const rest = d.final(); // empty for GCM: no copy of the whole plaintext to join them
    return rest.length === 0 ? plain : Buffer.concat([plain, rest]);
  } catch {
    return null;
  }
}

export function deriveKek(password: string, kdf: KdfParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCb(
      password,
      Buffer.from(kdf.salt, 'base64'),
      32,
      { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.N * kdf.r + 16 * 1024 * 1024 },
      (err, key) => (err ? reject(err) : resolve(key)),
    );
  });
}

export function newKdfParams(N = 32768): KdfParams {
  return { name: 'scrypt', N, r: 8, p: 1, salt: randomBytes(32).toString('base64') };
}
