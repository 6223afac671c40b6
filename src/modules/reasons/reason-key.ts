import slugify from '@sindresorhus/slugify';

/** "Heat/Hot Water", "heat_hot water" and "HEAT-HOT-WATER" are one reason: `heat-hot-water`. */
export function reasonKey(raw: string): string {
  return slugify(raw, { separator: '-' }).slice(0, 100);
}

export const REASON_SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
