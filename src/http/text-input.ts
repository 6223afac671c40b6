import { z } from '@hono/zod-openapi';
import { BIDI_CONTROL_RANGE, LINE_BREAK_RANGE } from '../lib/display-line';

// Ranges, not \p{Cc}: JSON Schema validators that read patterns without Unicode mode (Python's
// re, ECMAScript without /u) understand them alike.
const ONE_LINE = new RegExp(`^[^${LINE_BREAK_RANGE}]*$`);
const NO_BIDI_CONTROLS = new RegExp(`^[^${BIDI_CONTROL_RANGE}]*$`);
// Both at once, for the OpenAPI document: a schema has one pattern.
const DISPLAY_LINE = new RegExp(`^[^${LINE_BREAK_RANGE}${BIDI_CONTROL_RANGE}]*$`);

/**
 * A JSON Schema `pattern` for a regular expression. The OpenAPI generator writes a pattern's
 * flags after it (`^…$/u`), which no string matches, so a client that validates against
 * /openapi.json would refuse every value; the source alone is what JSON Schema means.
 */
export const patternOf = (regex: RegExp) => ({ pattern: regex.source });

/**
 * A name or title shown as one line (a page heading, a banner, an email subject, a contact's
 * name in a greeting): trimmed, without line breaks or other control characters, which an
 * email subject would split on and which show as nothing elsewhere, and without bidirectional
 * overrides, which would reverse the words shown after it.
 */
export const oneLineText = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .regex(ONE_LINE, 'must be one line, without control characters')
    .regex(
      NO_BIDI_CONTROLS,
      'must not contain bidirectional embedding, override or isolate characters ' +
        '(U+202A–U+202E, U+2066–U+2069), which reorder the text shown after it',
    )
    .openapi(patternOf(DISPLAY_LINE));

// The control characters a text with line breaks may not hold: all but tab, line feed and
// carriage return. NUL is among them, and PostgreSQL cannot store it in text.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const MULTI_LINE = /^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$/;

/** Whether a text with line breaks (a Markdown body, a form's textarea) holds no other control character. */
export const isMultiLineText = (text: string) => MULTI_LINE.test(text);

export const MULTI_LINE_MESSAGE =
  'must not contain control characters other than line breaks and tabs';

/**
 * A text of several lines (a Markdown body): line breaks and tabs are kept, any other control
 * character, NUL among them, is refused, as the database could not store it or it would show
 * as nothing.
 */
export const multiLineText = (max: number) =>
  z.string().max(max).regex(MULTI_LINE, MULTI_LINE_MESSAGE);
