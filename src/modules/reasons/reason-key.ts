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
    key = slugify(withLatinSpelling(raw), { separator: '-' }).slice(0, 100).replace(/-+$/, '');
    if (remembered.size >= REMEMBER_AT_MOST) remembered.clear();
    remembered.set(raw, key);
  }
  return key;
}

const LATIN = /[a-z0-9]/i;
const LETTER_OR_DIGIT = /[\p{L}\p{Nd}]/u;
const MARK = /\p{M}/u;
// Scripts slugify transliterates; the few letters of them it drops (ъ, ь) it drops on purpose.
const TRANSLITERATED =
  /[\p{sc=Latin}\p{sc=Cyrillic}\p{sc=Greek}\p{sc=Arabic}\p{sc=Armenian}\p{sc=Georgian}]/u;

type Spelling = 'as-is' | 'code-points' | { compatible: string };
const spellings = new Map<string, Spelling>();

function spellingOf(char: string): Spelling {
  let spelling = spellings.get(char);
  if (spelling !== undefined) return spelling;
  if (!LETTER_OR_DIGIT.test(char) || LATIN.test(slugify(char))) spelling = 'as-is';
  else {
    const compatible = char.normalize('NFKC');
    if (compatible !== char && LATIN.test(slugify(compatible))) spelling = { compatible };
    else spelling = TRANSLITERATED.test(char) ? 'as-is' : 'code-points';
  }
  if (spellings.size < REMEMBER_AT_MOST) spellings.set(char, spelling);
  return spelling;
}

/**
 * What slugify is given, changed only where it would lose a letter that keeps reasons apart:
 * a ligature or full-width letter is its compatibility form ("ﬁnance" was `nance`), and a run
 * of letters in a script slugify has no Latin spelling for (Chinese, Japanese, Korean,
 * Hebrew, Thai, Devanagari…), with the marks inside it, is spelled as its code points, four
 * base-36 digits each (every code point fits): "결제 문제" had no slug and "VIP 결제" was `vip`.
 * Every other text keeps the key it always had.
 */
function withLatinSpelling(text: string): string {
  let out = '';
  let run = '';
  for (const char of text) {
    const spelling = run && MARK.test(char) ? 'code-points' : spellingOf(char);
    if (spelling === 'code-points') {
      run += (char.codePointAt(0) ?? 0).toString(36).padStart(4, '0');
      continue;
    }
    if (run) out += ` ${run} `;
    run = '';
    out += spelling === 'as-is' ? char : spelling.compatible;
  }
  return run ? `${out} ${run}` : out;
}
