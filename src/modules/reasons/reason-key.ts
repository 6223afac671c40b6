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
    // NFKC first: "ﬁnance" is "finance" and full-width "Ａｂｃ" is "Abc", not "nance" and "".
    key = slugify(spellOutUnlatinized(raw.normalize('NFKC')), { separator: '-' })
      .slice(0, 100)
      .replace(/-+$/, '');
    if (remembered.size >= REMEMBER_AT_MOST) remembered.clear();
    remembered.set(raw, key);
  }
  return key;
}

const LETTER_OR_DIGIT = /[\p{L}\p{N}\p{M}]/u;
const LATIN = /[a-z0-9]/i;
const latinized = new Map<string, boolean>();

/**
 * Letters slugify has no Latin spelling for (Chinese, Japanese, Korean, Hebrew, Thai,
 * Devanagari…) would vanish, so "결제 문제" had no slug and "VIP 결제" was "VIP": each run of
 * them is spelled as its code points, four base-36 digits each (every code point fits), so
 * distinct reasons keep distinct slugs and the label keeps the words.
 */
function spellOutUnlatinized(text: string): string {
  let out = '';
  let run = '';
  for (const char of text) {
    let spelled = latinized.get(char);
    if (spelled === undefined) {
      spelled = !LETTER_OR_DIGIT.test(char) || LATIN.test(slugify(char));
      if (latinized.size < REMEMBER_AT_MOST) latinized.set(char, spelled);
    }
    if (spelled) {
      if (run) out += ` ${run} `;
      run = '';
      out += char;
    } else run += (char.codePointAt(0) ?? 0).toString(36).padStart(4, '0');
  }
  return run ? `${out} ${run}` : out;
}
