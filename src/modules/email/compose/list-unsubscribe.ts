import type { Deps } from '../../../deps';

/**
 * RFC 8058 one-click needs an https link: a mail client POSTs to no other. Gmail and Yahoo
 * require one-click unsubscribe from bulk senders.
 */
const offersOneClick = (url: string) => new URL(url).protocol === 'https:';

/**
 * An email's unsubscribe headers. An http link (a local PUBLIC_URL, or one set without https)
 * still works for a person who follows it, but claiming one-click for it would be false.
 */
export function listUnsubscribeHeaders(link: string): Record<string, string> {
  const headers: Record<string, string> = { 'List-Unsubscribe': `<${link}>` };
  if (offersOneClick(link)) headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
  return headers;
}

/** Said once at start when emails reach real mailboxes (Resend) without one-click. */
export function warnWithoutOneClickUnsubscribe(deps: Deps): void {
  if (deps.mailer.name !== 'resend' || offersOneClick(deps.config.publicUrl)) return;
  deps.logger.warn('PUBLIC_URL is not https: emails go out without one-click unsubscribe', {
    public_url: deps.config.publicUrl,
    affects:
      'List-Unsubscribe-Post (RFC 8058), which Gmail and Yahoo require from bulk senders; ' +
      'List-Unsubscribe links still work for people',
  });
}
