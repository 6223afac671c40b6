/**
 * Orders strings by code point, the order of their UTF-8 bytes and so of Postgres's
 * `collate "C"`. JavaScript's `<` compares UTF-16 code units, which puts a character beyond
 * U+FFFF (a surrogate pair, D800–DFFF) before one in U+E000–U+FFFF.
 */
export function byCodePoint(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** A code unit's rank once surrogates are moved above U+E000–U+FFFF (order kept within each). */
const codePointRank = (unit: number) =>
  unit >= 0xe000 ? unit - 0x800 : unit >= 0xd800 ? unit + 0x2000 : unit;
