import { isInteger, isLosslessNumber, isSafeNumber, parse } from 'lossless-json';

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
    // lossless-json refuses what JSON.parse takes (a key repeated with another value): the
    // number is somewhere in the body.
    return [[]];
  }
  const found: string[][] = [];
  const stack: { value: unknown; path: string[] }[] = [{ value, path: [] }];
  while (stack.length > 0 && found.length < limit) {
    const { value, path } = stack.pop() as { value: unknown; path: string[] };
    if (isLosslessNumber(value)) {
      if (isInteger(value.value) && !isSafeNumber(value.value)) found.push(path);
    } else if (value !== null && typeof value === 'object') {
      const entries = Array.isArray(value)
        ? value.map((item, i) => [String(i), item])
        : Object.entries(value);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, item] = entries[i] as [string, unknown];
        stack.push({ value: item, path: [...path, key] });
      }
    }
  }
  return found;
}
