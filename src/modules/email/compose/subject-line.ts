// Control characters (CR and LF above all) and the Unicode line breaks a mail client may honour.
const BREAKS = /[\p{Cc}\u2028\u2029]+/gu;

/**
 * An email subject as one header line. A merge field (a contact's name) or an incident name
 * stored with a line break would otherwise split the header: Resend refuses such a subject
 * with 422, failing every email in its batch, and a relay that passed it on would read the
 * rest as headers of its own (`Bcc: …`).
 */
export function subjectLine(subject: string): string {
  return subject.replace(BREAKS, ' ').replace(/ {2,}/g, ' ').trim();
}
