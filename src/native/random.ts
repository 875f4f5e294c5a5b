/**
 * Random IDs and names, and the one hash the runtime needs, through the addon: getrandom(2)
 * and the OpenSSL that Node carries. node:crypto would do the same, but loading it cost every
 * `run` ~3.3 ms of start-up (it pulls in the stream and key machinery) for a 32-byte ID.
 */
import { native } from './loader.ts';

/** `bytes` random bytes as lower-case hex: container, volume and anonymous-volume IDs. */
export function randomHex(bytes: number): string {
  return native().randomBytes(bytes).toString('hex');
}

/** A uniform integer in [0, n), n ≤ 2^32: rejection sampling, so no value is favoured. */
export function randomBelow(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 2 ** 32) throw new RangeError(`randomBelow(${n})`);
  const limit = 2 ** 32 - (2 ** 32 % n);
  for (;;) {
    const v = native().randomBytes(4).readUInt32LE(0);
    if (v < limit) return v % n;
  }
}

/** The hex SHA-256 of a string's UTF-8 bytes. */
export function sha256Hex(text: string): string {
  return native().sha256(text);
}
