import type { CampaignRow, EmailDeliveryRow, EmailSettings } from '../../../db/schema';
import type { Deps } from '../../../deps';
import { unsubscribeToken, unsubscribeUrl } from '../recipients/unsubscribe-token';
import type { OutgoingEmail } from '../transport/email-transport';
import { listUnsubscribeHeaders } from './list-unsubscribe';
import { personalise, renderCampaignEmail } from './render-campaign-email';

export type EmailCampaign = CampaignRow & { email: EmailSettings };

type Recipient = Pick<
  EmailDeliveryRow,
  'id' | 'accountId' | 'email' | 'name' | 'locale' | 'timeZone' | 'eventAt'
> & { plan: string | null };

/**
 * The exact message a recipient gets: the same for a preview and for every retry of a send,
 * which Resend's idempotency needs (same key, same body).
 */
export async function composeEmail(
  deps: Deps,
  campaign: EmailCampaign,
  recipient: Recipient,
): Promise<OutgoingEmail> {
  const content = await renderCampaignEmail(campaign, recipient.locale, recipient.eventAt !== null);
  const link = unsubscribeUrl(
    deps,
    await unsubscribeToken(deps, { email: recipient.email, campaign: campaign.id }),
  );
  const message = personalise(content, {
    name: recipient.name ?? recipient.email.split('@')[0] ?? recipient.email,
    email: recipient.email,
    account_id: recipient.accountId,
    plan: recipient.plan ?? '',
    event_time: recipient.eventAt
      ? formatEventTime(recipient.eventAt, content.locale, recipient.timeZone)
      : '',
    unsubscribe_url: link,
  });
  return {
    deliveryId: recipient.id,
    campaignId: campaign.id,
    from: deps.config.email.from,
    to: recipient.email,
    ...message,
    headers: listUnsubscribeHeaders(link),
  };
}

function formatEventTime(at: Date, locale: string, timeZone: string): string {
  const options: Intl.DateTimeFormatOptions = { dateStyle: 'full', timeStyle: 'short', timeZone };
  let formatted: string;
  try {
    formatted = new Intl.DateTimeFormat(locale, options).format(at);
  } catch {
    formatted = new Intl.DateTimeFormat('en', options).format(at);
  }
  return `${formatted} (${timeZone})`;
}
