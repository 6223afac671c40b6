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

// What shows as nothing: white space, control characters, the default-ignorable code points
// (zero-width spaces and joiners, soft hyphens, directional marks, variation selectors, tag
// characters, Hangul fillers) and the Braille blank, which fonts draw empty.
const VISIBLE = /[^\p{White_Space}\p{Cc}\p{Default_Ignorable_Code_Point}\u2800]/u;

export const INVISIBLE_MESSAGE =
  'must contain a visible character, not only spaces or zero-width and other invisible characters';

/**
 * Text that shows nothing is refused. Invisible characters among visible ones are kept (an
 * emoji's zero-width joiner). Checked only when nothing else is wrong with the text, so an empty
 * one is told it is missing, and a lone override that it reorders, once.
 */
export const showsSomething = {
  check: (text: string) => VISIBLE.test(text),
  params: {
    error: INVISIBLE_MESSAGE,
    when: (payload: { issues: unknown[] }) => payload.issues.length === 0,
  },
};

/**
 * A name or title shown as one line (a page heading, a banner, an email subject, a contact's
 * name in a greeting): trimmed, without line breaks or other control characters, which an
 * email subject would split on and which show as nothing elsewhere, and without bidirectional
 * overrides, which would reverse the words shown after it; and not invisible, which would show
 * a heading or a banner with nothing in it.
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
    .refine(showsSomething.check, showsSomething.params)
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

/** A text of several lines that must say something (a status update): not blank, not invisible. */
export const requiredMultiLineText = (max: number) =>
  multiLineText(max).trim().min(1).refine(showsSomething.check, showsSomething.params);

/**
 * `.` and `..` as a whole: what a value placed in a URL path (`/v1/accounts/{id}`) must not
 * be. Every URL parser, the browser's, fetch's and the server's, removes them as dot segments,
 * encoded (`%2E%2E`) or not, so a route could never receive one: a record under such an id
 * could be created in a batch but never read, replaced or deleted.
 */
export const isDotSegment = (text: string) => text === '.' || text === '..';

export const DOT_SEGMENT_MESSAGE =
  'must not be "." or "..", which a URL cannot hold as a path segment';
