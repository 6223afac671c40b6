import slugify from '@sindresorhus/slugify';

export const REASON_SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

// Batches repeat a few dozen reasons thousands of times and slugify transliterates every
// character, so keys are remembered (bounded: raw reasons are user input).
const remembered = new Map<string, string>();
const REMEMBER_AT_MOST = 10_000;

/** "Heat/Hot Water", "heat_hot water" and "HEAT-HOT-WATER" are one reason: `heat-hot-water`. */
export function reasonKey(raw: string): string {
  let key = remembered.get(raw);
  if (key === undefined) {
    key = slugify(raw, { separator: '-' }).slice(0, 100);
    if (remembered.size >= REMEMBER_AT_MOST) remembered.clear();
    remembered.set(raw, key);
  }
  return key;
}
