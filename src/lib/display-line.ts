// Control characters (line breaks above all) and the Unicode line and paragraph separators.
const BREAKS = /[\p{Cc}\u2028\u2029]+/gu;
/**
 * The explicit bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069).
 * One left open reverses what is shown after the text it sits in: the rest of an email subject
 * or a Slack line reads backwards (`invoice\u202Egnp.exe` shows as `invoiceexe.png`).
 */
export const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;

/**
 * Text someone else wrote (a contact's name, a reason from a ticket) made safe to show on one
 * line among other words: breaks become spaces and bidirectional controls are dropped, so it
 * can neither start a line of its own nor reorder the words around it.
 */
export function displayLine(text: string): string {
  return text.replace(BIDI_CONTROLS, '').replace(BREAKS, ' ').replace(/ {2,}/g, ' ').trim();
}
