/**
 * Every Postgres advisory lock forestall takes, by its key: in one place so that two features
 * never share a key by accident (each would then wait for the other's unrelated work). Any
 * constants work; they only have to be the same for every forestall instance.
 */
export const ADVISORY_LOCKS = {
  /** Migrations run by one instance at a time (`migrate.ts`; a session lock). */
  migrations: 7_234_001,
  /** Re-contact flags written by one transaction at a time. */
  recontactFlags: 7_234_002,
  /** Reason aliases: held steady (shared) while names are mapped, changed (exclusive) alone. */
  reasonAliases: 7_234_003,
  /**
   * The first key of every address an email account sync holds (the second is the address's
   * hash), so it must fit in 32 bits.
   */
  emailAddresses: 7_234_004,
  /** Look-ups for tickets stored already under another source, taking turns. */
  otherSourceLookUps: 7_234_005,
  /** Status components created without a position take the next one, one at a time. */
  componentPositions: 7_234_006,
  /**
   * The first key of a ticket a source may remove (the second is the hash of its key): its
   * removal and the storing of an event about it take turns.
   */
  removableTickets: 7_234_007,
} as const;
