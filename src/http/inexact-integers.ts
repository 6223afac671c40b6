import { isInteger, isLosslessNumber, isSafeNumber, parse } from 'lossless-json';

/** A value read, linked to its parent: a path is built only for what is found. */
type Node = { value: unknown; key: string | undefined; parent: Node | undefined };

/**
 * The paths (raw keys and indexes) of integer literals (digits only, no fraction or exponent)
 * beyond ±Number.MAX_SAFE_INTEGER in `source`, which JSON.parse has already read without
 * error, at most `limit` of them. JSON.parse rounds such a literal to the nearest double
 * (12345678901234567890 becomes 12345678901234567000), so the value read is not the one sent.
 * Literals with a fraction or an exponent are left alone: serializers write integer types
 * (int64, bigint, Java long) as plain digits, so `1e20` comes from a floating-point value,
 * which a double already was at the sender. Read again with lossless-json, which keeps each
 * number's text; only bodies in which JSON.parse met such a number come here.
 */
export function inexactIntegerPaths(source: string, limit: number): string[][] {
  let value: unknown;
  try {
    value = parse(source);
  } catch {
    // lossless-json refuses what JSON.parse takes (a key repeated with another value, nesting
    // past its stack): the number is somewhere in the body.
    return [[]];
  }
  const found: string[][] = [];
  const stack: Node[] = [{ value, key: undefined, parent: undefined }];
  while (stack.length > 0 && found.length < limit) {
    const node = stack.pop() as Node;
    const { value } = node;
    if (isLosslessNumber(value)) {
      if (isInteger(value.value) && !isSafeNumber(value.value)) found.push(pathOf(node));
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) {
        stack.push({ value: value[i], key: String(i), parent: node });
      }
    } else if (value !== null && typeof value === 'object') {
      const keys = Object.keys(value);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i] as string;
        stack.push({ value: (value as Record<string, unknown>)[key], key, parent: node });
      }
    }
  }
  return found;
}

function pathOf(node: Node): string[] {
  const path: string[] = [];
  for (let at: Node | undefined = node; at?.key !== undefined; at = at.parent) path.push(at.key);
  return path.reverse();
}
