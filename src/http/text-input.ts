import { z } from '@hono/zod-openapi';

const ONE_LINE = /^[^\p{Cc}]*$/u;

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
