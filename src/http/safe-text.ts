import type { FieldError } from './app-error';
import { inexactIntegerPaths } from './inexact-integers';

// A NUL or any surrogate, paired or not.
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what it looks for
const MAYBE_UNSAFE = /[\u0000\uD800-\uDFFF]/;
// A lone high surrogate not followed by a low one, or a lone low one not preceded by a high.
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why a string cannot be stored or compared as text, or undefined when it can. Postgres text
 * holds no NUL, and UTF-8 has no encoding for an unpaired surrogate, so neither may enter.
 */
export function unsafeTextProblem(text: string): string | undefined {
  // One scan for what could be refused, as nearly every string has none of it.
  if (!MAYBE_UNSAFE.test(text)) return undefined;
  if (text.includes('\u0000')) return 'must not contain a NUL character';
  if (UNPAIRED_SURROGATE.test(text)) return 'must be valid Unicode (an unpaired surrogate)';
  return undefined;
}

const MAX_REPORTED = 20;
/** Deeper than any body forestall takes; deeper ones would cost validators their stack. */
export const MAX_JSON_DEPTH = 64;
/** The message of the error `unsafeTextIn` reports for nesting past `MAX_JSON_DEPTH`. */
export const TOO_DEEP = `nests deeper than ${MAX_JSON_DEPTH} levels`;

/** The message of the error `unsafeTextIn` reports for a number no double holds. */
export const NOT_FINITE = 'is a number too large to hold (beyond about ±1.8e308)';

/** The message of the error `unsafeTextIn` reports for an integer a double cannot keep. */
export const NOT_EXACT =
  'is an integer beyond ±9007199254740991 (2^53 − 1), which would not be kept exactly: ' +
  'send it as a string';

/** A value still to be walked; its path is spelled out only when something in it is refused. */
type Pending = { node: unknown; key: string; parent: Pending | undefined; depth: number };

/**
 * Every string (keys included) in a parsed JSON value that `unsafeTextProblem` refuses, every
 * number too large to hold, and nesting deeper than `MAX_JSON_DEPTH`. Walked with a stack of
 * its own, not recursion. Given the `source` text the value was parsed from, also every
 * integer written in it beyond ±2^53 − 1 (which JSON.parse rounded).
 */
export function unsafeTextIn(value: unknown, location: string, source?: string): FieldError[] {
  const errors: FieldError[] = [];
  let beyondSafeIntegers = false;
  const pending: Pending[] = [{ node: value, key: '', parent: undefined, depth: 0 }];
  const pathOf = (at: Pending) => pathText(at) || location;
  while (errors.length < MAX_REPORTED) {
    const next = pending.pop();
    if (!next) break;
    const { node, depth } = next;
    if (typeof node === 'string') {
      const message = unsafeTextProblem(node);
      if (message) errors.push({ location, path: pathOf(next), message });
      continue;
    }
    // JSON.parse reads 1e400 as Infinity, which JSON.stringify writes back as null: an
    // account attribute sent so was stored as null and answered 201.
    if (typeof node === 'number') {
      if (!Number.isFinite(node))
        errors.push({ location, path: pathOf(next), message: NOT_FINITE });
      // Only then is the text read again, to tell 12345678901234567890 (rounded) from 1e20.
      else if (Math.abs(node) > Number.MAX_SAFE_INTEGER) beyondSafeIntegers = true;
      continue;
    }
    if (node === null || typeof node !== 'object') continue;
    if (depth >= MAX_JSON_DEPTH) {
      errors.push({ location, path: pathOf(next), message: TOO_DEEP });
      break;
    }
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        pending.push({ node: node[i], key: String(i), parent: next, depth: depth + 1 });
      }
      continue;
    }
    const object = node as Record<string, unknown>;
    for (const key of Object.keys(object)) {
      const keyProblem = unsafeTextProblem(key);
      const inner = { node: object[key], key, parent: next, depth: depth + 1 };
      if (keyProblem)
        errors.push({ location, path: pathText(inner), message: `key ${keyProblem}` });
      else pending.push(inner);
    }
  }
  if (beyondSafeIntegers && source !== undefined) {
    for (const segments of inexactIntegerPaths(source, MAX_REPORTED - errors.length)) {
      const path = segments.map(printable).join('.') || location;
      errors.push({ location, path, message: NOT_EXACT });
    }
  }
  return errors;
}

/** `a.b.0`: each key printable, an empty one left out where the path is still empty. */
function pathText(at: Pending): string {
  const keys: string[] = [];
  for (let node: Pending | undefined = at; node?.parent; node = node.parent) keys.push(node.key);
  let path = '';
  for (let i = keys.length - 1; i >= 0; i--) {
    const key = printable(keys[i] as string);
    path = path ? `${path}.${key}` : key;
  }
  return path;
}

/** A key as it can be shown back in a problem: without the characters that were refused. */
const printable = (key: string) =>
  key.replaceAll(String.fromCharCode(0), '\uFFFD').replace(/[\uD800-\uDFFF]/g, '\uFFFD');
