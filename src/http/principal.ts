import type { Role } from '../db/schema';

/** Who is calling: resolved from the API key by the access guard. */
export type Principal = { keyId: string; name: string; role: Role; prefix: string };
