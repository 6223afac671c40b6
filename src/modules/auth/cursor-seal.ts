import type { CursorSeal } from '../../http/app-env';
import { hasValidSignatureOnceSigning, type SecretSource, signBody } from './workspace-signature';

const SECRET: SecretSource = { setting: 'cursor_secret', configured: undefined };

/**
 * List cursors are signed with a workspace secret of their own, shared by every instance and
 * made when the first cursor is issued (checking one never writes).
 */
export const cursorSeal: CursorSeal = {
  sign: (deps, body) => signBody(deps.db, SECRET, body),
  verify: (deps, body, signature) => hasValidSignatureOnceSigning(deps.db, SECRET, body, signature),
};
