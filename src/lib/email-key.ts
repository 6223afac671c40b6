/**
 * The form addresses are compared in: the whole address lower-cased. RFC 5321 lets a mail
 * server treat the local part as case-sensitive, but mail providers do not, and people type
 * capitals at whim: `Ann@Example.com` and `ann@example.com` are one mailbox for suppressions,
 * unsubscribes, subscriptions and deduplication. Emails go to the address as it was given.
 */
export const emailKey = (address: string): string => address.toLowerCase();

/** The address an email goes to: as given, or on a row stored before that was kept, its key. */
export const addressAsGiven = (row: { email: string; emailAsGiven: string | null }): string =>
  row.emailAsGiven ?? row.email;

/** Each mailbox once, compared by `emailKey`, in the spelling it was first given. */
export function distinctMailboxes(addresses: readonly string[]): string[] {
  const seen = new Set<string>();
  return addresses.filter((address) => {
    const key = emailKey(address);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
