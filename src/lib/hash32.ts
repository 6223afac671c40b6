import murmurhash from 'murmurhash';

const encoder = new TextEncoder();
let scratch = new Uint8Array(256);

/**
 * MurmurHash3 (x86, 32-bit) of a string's UTF-8 bytes, as 8 hex digits. The same value as
 * `murmurhash.v3(text, seed)`, which builds a new TextEncoder and buffer on every call: on the
 * notices hot path that allocation cost more than the hash itself.
 */
export function hash32(text: string, seed = 0): string {
  return murmur32(text, seed).toString(16).padStart(8, '0');
}

export function murmur32(text: string, seed = 0): number {
  // UTF-8 needs at most 3 bytes per UTF-16 unit.
  if (text.length * 3 > scratch.length) scratch = new Uint8Array(text.length * 3);
  const { written } = encoder.encodeInto(text, scratch);
  return murmurhash.v3(scratch.subarray(0, written), seed);
}
