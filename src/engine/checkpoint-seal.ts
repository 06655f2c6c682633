/**
 * Checkpoints at rest: a checkpoint names files, modes, xattr values and chunk IDs, so it leaves the
 * node sealed with the key of the drive its attempt writes to. AES-256-GCM under a key derived from
 * the drive's master key (HKDF-SHA256, info `baton checkpoint v1`), with the job ID, the
 * checkpoint's sequence number in the catalog and the drive ID as associated data: a checkpoint
 * copied to another job, to another place in the sequence or under another drive does not open.
 * An unencrypted drive has no key: its checkpoints are kept in clear with a SHA-256 over the same
 * associated data and the JSON, which catches damage and a misplaced row, not a forger.
 * docs/repository-format.md ("Checkpoints") states the format.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import type { Checkpoint } from './checkpoint';
import { validateCheckpoint } from './checkpoint';
import { EngineError } from './errors';

export type CheckpointSealKind = 'aes-256-gcm' | 'sha256';

/** Where a checkpoint sits: its job, its sequence number there, the drive whose key seals it. */
export interface CheckpointPlace {
  jobId: string;
  seq: number;
  driveId: string;
}

export interface SealedCheckpoint {
  seal: CheckpointSealKind;
  /** base64: nonce (12) || ciphertext || tag (16); or, unencrypted, sha256 (32) || JSON */
  data: string;
}

const INFO = 'baton checkpoint v1';
const NONCE = 12;
const TAG = 16;
const HASH = 32;

function associatedData(p: CheckpointPlace): Buffer {
  return Buffer.from(`${INFO}\n${p.jobId}\n${p.seq}\n${p.driveId}`, 'utf8');
}

function checkpointKey(masterKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), INFO, 32));
}

function digest(place: CheckpointPlace, json: Buffer): Buffer {
  return createHash('sha256').update(associatedData(place)).update(json).digest();
}

/** Seals `cp` for `place` with the drive's master key (null: an unencrypted drive). */
export function sealCheckpoint(masterKey: Buffer | null, place: CheckpointPlace, cp: Checkpoint): SealedCheckpoint {
  const json = Buffer.from(JSON.stringify(cp), 'utf8');
  if (masterKey === null)
    return { seal: 'sha256', data: Buffer.concat([digest(place, json), json]).toString('base64') };
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv('aes-256-gcm', checkpointKey(masterKey), nonce);
  cipher.setAAD(associatedData(place));
  const body = Buffer.concat([cipher.update(json), cipher.final()]);
  return { seal: 'aes-256-gcm', data: Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64') };
}

function refused(place: CheckpointPlace, why: string): EngineError {
  return new EngineError(
    `checkpoint ${place.seq} of job ${place.jobId} does not open with drive ${place.driveId}'s key: ${why}; ` +
      'it is not resumed, the job restarts fresh',
    'CHECKPOINT_REFUSED',
  );
}

function openJson(masterKey: Buffer | null, place: CheckpointPlace, sealed: SealedCheckpoint): Buffer {
  const bytes = Buffer.from(sealed.data, 'base64');
  if (sealed.seal === 'sha256') {
    if (masterKey !== null) throw refused(place, 'it is stored in clear but the drive is encrypted');
    const json = bytes.subarray(HASH);
    if (bytes.length < HASH || !digest(place, json).equals(bytes.subarray(0, HASH)))
      throw refused(place, 'its SHA-256 does not match (damaged, or copied from another job or position)');
    return json;
  }
  if (sealed.seal !== 'aes-256-gcm') throw refused(place, `unknown seal ${JSON.stringify(sealed.seal)}`);
  if (masterKey === null) throw refused(place, 'it is sealed but the drive is unencrypted');
  if (bytes.length < NONCE + TAG) throw refused(place, 'it is too short to be sealed');
  const decipher = createDecipheriv('aes-256-gcm', checkpointKey(masterKey), bytes.subarray(0, NONCE));
  decipher.setAAD(associatedData(place));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG));
  try {
    return Buffer.concat([decipher.update(bytes.subarray(NONCE, bytes.length - TAG)), decipher.final()]);
  } catch {
    throw refused(place, 'the authentication tag does not verify (altered, or copied from another job or position)');
  }
}

/** Opens a sealed checkpoint of `place` and checks its shape; throws CHECKPOINT_REFUSED otherwise. */
export function openCheckpoint(masterKey: Buffer | null, place: CheckpointPlace, sealed: SealedCheckpoint): Checkpoint {
  const json = openJson(masterKey, place, sealed);
  let parsed: unknown;
  try {
    parsed = JSON.parse(json.toString('utf8'));
  } catch {
    throw refused(place, 'its content is not JSON');
  }
  return validateCheckpoint(parsed);
}
