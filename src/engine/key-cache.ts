/**
 * The key-encryption keys this process derived with scrypt, kept so that opening a drive again
 * skips the derivation (about 0.5 s by calibration, more on a loaded machine, and a backup's next
 * attempt opened its drive two or three times: canReadCheckpoint, the stored checkpoint, the
 * engine). scrypt is a pure function of the passphrase and the drive's KDF parameters, so an entry
 * is keyed by exactly those: the parameters as the key file states them (N, r, p, salt) and an
 * HMAC of the passphrase under a key made when the process starts (the passphrase itself is not
 * kept, and the HMAC says nothing about it outside this process). A wrong passphrase or a key
 * file with other parameters or another salt is another entry, derived afresh; what is served is
 * what scrypt would return, and the caller still opens the wrapped master key with it (AES-GCM),
 * so a tampered key file is refused as before. A failed derivation is not kept.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { deriveKek, type KdfParams } from './kdf';

/** Entries kept; the oldest goes first. A node opens a handful of drives with one passphrase. */
export const KEK_CACHE_ENTRIES = 64;

export class KekCache {
  private readonly secret = randomBytes(32);
  private readonly entries = new Map<string, Promise<Buffer>>();

  constructor(
    private readonly derive: (password: string, kdf: KdfParams) => Promise<Buffer> = deriveKek,
    private readonly max = KEK_CACHE_ENTRIES,
  ) {}

  /** The key scrypt derives from `password` with `kdf`, derived once per process. */
  async kek(password: string, kdf: KdfParams): Promise<Buffer> {
    const id = this.idOf(password, kdf);
    let entry = this.entries.get(id);
    if (!entry) {
      entry = this.derive(password, kdf);
      this.entries.set(id, entry);
      if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value as string);
      entry.catch(() => {
        if (this.entries.get(id) === entry) this.entries.delete(id);
      });
    }
    // a copy: a caller that wipes its key does not wipe the cached one
    return Buffer.from(await entry);
  }

  /** Entries held (tests). */
  get size(): number {
    return this.entries.size;
  }

  private idOf(password: string, kdf: KdfParams): string {
    const mac = createHmac('sha256', this.secret);
    mac.update(JSON.stringify([kdf.name, kdf.N, kdf.r, kdf.p, kdf.salt, password]));
    return mac.digest('hex');
  }
}

/** The process's one cache: every drive this process opens goes through it (key-files.ts). */
export const kekCache = new KekCache();
