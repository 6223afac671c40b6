import type { Role } from '../db/schema';

/** Who is calling: resolved from the API key by the access guard. */
export type Principal = { keyId: string; name: string; role: Role; prefix: string };

/** How audit trails name who made a change: the key's name and its public prefix. */
export const actorOf = (principal: Principal) => `${principal.name} (${principal.prefix}…)`;
