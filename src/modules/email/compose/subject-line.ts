import { displayLine } from '../../../lib/display-line';

/**
 * An email subject as one header line. A merge field (a contact's name) or an incident name
 * stored with a line break would otherwise split the header: Resend refuses such a subject
 * with 422, failing every email in its batch, and a relay that passed it on would read the
 * rest as headers of its own (`Bcc: …`). A bidirectional override would reverse the rest.
 */
export function subjectLine(subject: string): string {
  return displayLine(subject);
}
