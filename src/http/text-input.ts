import { z } from '@hono/zod-openapi';

// Unicode's control characters (\p{Cc}) spelled as ranges: JSON Schema validators that read
// patterns without Unicode mode (Python's re, ECMAScript without /u) understand ranges alike.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const ONE_LINE = /^[^\u0000-\u001F\u007F-\u009F]*$/;

/**
 * A JSON Schema `pattern` for a regular expression. The OpenAPI generator writes a pattern's
 * flags after it (`^…$/u`), which no string matches, so a client that validates against
 * /openapi.json would refuse every value; the source alone is what JSON Schema means.
 */
export const patternOf = (regex: RegExp) => ({ pattern: regex.source });

/**
 * A name or title shown as one line (a page heading, a banner, an email subject): trimmed,
 * without line breaks or other control characters, which an email subject would split on and
 * which show as nothing elsewhere.
 */
export const oneLineText = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .regex(ONE_LINE, 'must be one line, without control characters')
    .openapi(patternOf(ONE_LINE));
