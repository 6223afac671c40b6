import type { Deps } from '../../../deps';
import { readSignedStrings, signStrings } from '../../auth/signed-token';
import type { SecretSource } from '../../auth/workspace-signature';

/**
 * The token in an email's unsubscribe link: the address and the campaign that sent it, signed.
 * It does not expire (old emails must keep working).
 */

type UnsubscribePayload = { email: string; campaign: string };

const SECRET: SecretSource = { setting: 'unsubscribe_secret', configured: undefined };

export const unsubscribeToken = (deps: Deps, payload: UnsubscribePayload) =>
  signStrings(deps.db, SECRET, [payload.email, payload.campaign]);

export async function readUnsubscribeToken(
  deps: Deps,
  token: string,
): Promise<UnsubscribePayload | undefined> {
  const values = await readSignedStrings(deps.db, SECRET, token, 2);
  const [email, campaign] = values ?? [];
  return email !== undefined && campaign !== undefined ? { email, campaign } : undefined;
}

export const unsubscribeUrl = (deps: Deps, token: string) =>
  `${deps.config.publicUrl}/unsubscribe/${token}`;
