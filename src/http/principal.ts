import type { Role } from '../db/schema';

/** Who is calling: resolved from the API key by the access guard. */
export type Principal = { keyId: string; name: string; role: Role; prefix: string };

/**
 * Stands in for the prefix of the key an operator chose (`ADMIN_API_KEY`): a chosen secret
 * holds far fewer than 192 random bits, so none of its characters are shown or logged.
 */
export const CONFIGURED_KEY_LABEL = 'ADMIN_API_KEY';

/** How a key is named wherever it is shown: `fst_Ab3dE9xQ…`, or the configured key's label. */
export const keyHint = (prefix: string) =>
  prefix === CONFIGURED_KEY_LABEL ? prefix : `${prefix}…`;

/** How audit trails name who made a change: the key's name and its public prefix. */
export const actorOf = (principal: Principal) => `${principal.name} (${keyHint(principal.prefix)})`;
