const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const MINUS = 0x2d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

const isDigit = (code: number) => code >= 0x30 && code <= 0x39;
/** Digits, `.`, `e`, `E`, `+` and `-`: what follows a number's first character. */
const isNumberPart = (code: number) =>
  isDigit(code) ||
  code === 0x2e ||
  code === 0x65 ||
  code === 0x45 ||
  code === 0x2b ||
  code === MINUS;

/** A container being read, linked to its parent so a path is built only for what is found. */
type Container = {
  parent: Container | undefined;
  /** The key or index this container sits under in its parent. */
  segment: string | undefined;
  isArray: boolean;
  key: string;
  index: number;
};

/**
 * The paths (raw keys and indexes) of integer literals (digits only, no fraction or exponent)
 * beyond ±Number.MAX_SAFE_INTEGER in `source`, which JSON.parse has already read without
 * error. JSON.parse rounds such a literal to the nearest double (12345678901234567890 becomes
 * 12345678901234567000), so the value read is not the one sent. Literals with a fraction or an
 * exponent are left alone: serializers write integer types (int64, bigint, Java long) as plain
 * digits, so `1e20` or `2.5e30` comes from a floating-point value, which a double already
 * was at the sender and which JSON.parse reads back unchanged (0.1000000000000000055511 is read
as the double nearest it, as every JSON reader that uses doubles reads it). One pass over the
text.
 */
export function inexactIntegerPaths(source: string, limit: number): string[][] {
  const found: string[][] = [];
  let open: Container | undefined;
  let awaitingKey = false;
  const here = () => (open ? (open.isArray ? String(open.index) : open.key) : undefined);
  let at = 0;
  while (at < source.length && found.length < limit) {
    const code = source.charCodeAt(at);
    if (code === QUOTE) {
      const end = closingQuote(source, at);
      if (awaitingKey && open) {
        open.key = JSON.parse(source.slice(at, end + 1));
        awaitingKey = false;
      }
      at = end + 1;
    } else if (code === OPEN_OBJECT || code === OPEN_ARRAY) {
      const isArray = code === OPEN_ARRAY;
      open = { parent: open, segment: here(), isArray, key: '', index: 0 };
      awaitingKey = !isArray;
      at++;
    } else if (code === CLOSE_OBJECT || code === CLOSE_ARRAY) {
      open = open?.parent;
      awaitingKey = false;
      at++;
    } else if (code === COMMA) {
      if (open?.isArray) open.index++;
      else awaitingKey = true;
      at++;
    } else if (code === MINUS || isDigit(code)) {
      let end = at + 1;
      let integral = true;
      for (; end < source.length && isNumberPart(source.charCodeAt(end)); end++) {
        if (!isDigit(source.charCodeAt(end))) integral = false;
      }
      if (integral && Math.abs(Number(source.slice(at, end))) > Number.MAX_SAFE_INTEGER) {
        found.push(pathTo(open, here()));
      }
      at = end;
    } else {
      at++;
    }
  }
  return found;
}

/** The index of the quote that closes the string opening at `start`. */
function closingQuote(source: string, start: number): number {
  let end = source.indexOf('"', start + 1);
  while (end > 0 && isEscaped(source, end)) end = source.indexOf('"', end + 1);
  return end < 0 ? source.length : end;
}

const isEscaped = (source: string, quote: number) => {
  let backslashes = 0;
  while (source.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
  return backslashes % 2 === 1;
};

function pathTo(open: Container | undefined, last: string | undefined): string[] {
  const reversed = last === undefined ? [] : [last];
  for (let container = open; container?.segment !== undefined; container = container.parent) {
    reversed.push(container.segment);
  }
  return reversed.reverse();
}
