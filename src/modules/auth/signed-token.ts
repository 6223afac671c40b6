import type { Db } from '../../db/database';
import { base64url, fromBase64url } from '../../lib/base64url';
import { hasValidSignature, type SecretSource, signBody } from './workspace-signature';

/**
 * A few strings carried in a link and signed with a workspace secret: `<base64url JSON>.<MAC>`.
 * Such tokens do not expire and are the same each time for the same strings, so a retried
 * email renders byte for byte the same.
 */
export async function signStrings(db: Db, secret: SecretSource, values: string[]) {
  const body = base64url(new TextEncoder().encode(JSON.stringify(values)));
  return `${body}.${await signBody(db, secret, body)}`;
}

/** The strings a token carries, or undefined when it is malformed or not signed by us. */
export async function readSignedStrings(
  db: Db,
  secret: SecretSource,
  token: string,
  count: number,
): Promise<string[] | undefined> {
  const [body, signature, ...rest] = token.split('.');
  if (!body || !signature || rest.length > 0) return undefined;
  if (!(await hasValidSignature(db, secret, body, signature))) return undefined;
  try {
    const values: unknown = JSON.parse(new TextDecoder().decode(fromBase64url(body)));
    return Array.isArray(values) &&
      values.length === count &&
      values.every((v) => typeof v === 'string')
      ? values
      : undefined;
  } catch {
    return undefined;
  }
}
