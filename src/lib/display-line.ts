/**
 * The explicit bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069),
 * as a character-class range. One left open reverses what is shown after the text it sits in:
 * the rest of an email subject or a Slack line reads backwards (`invoice\u202Egnp.exe` shows
 * as `invoiceexe.png`).
 */
export const BIDI_CONTROL_RANGE = '\\u202A-\\u202E\\u2066-\\u2069';
/** Unicode's control characters (\p{Cc}) and its line and paragraph separators, as a range. */
export const LINE_BREAK_RANGE = '\\u0000-\\u001F\\u007F-\\u009F\\u2028\\u2029';
const BIDI_CONTROLS = new RegExp(`[${BIDI_CONTROL_RANGE}]`, 'g');
const BREAKS = new RegExp(`[${LINE_BREAK_RANGE}]+`, 'g');

/**
 * Text someone else wrote (a contact's name, a reason from a ticket) made safe to show on one
 * line among other words: breaks become spaces and bidirectional controls are dropped, so it
 * can neither start a line of its own nor reorder the words around it.
 */
export function displayLine(text: string): string {
  return text.replace(BIDI_CONTROLS, '').replace(BREAKS, ' ').replace(/ {2,}/g, ' ').trim();
}

/** `text` cut to at most `max` UTF-16 units, never through a surrogate pair, then trimmed. */
export function cutToLength(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  return (/[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut).trim();
}
