import type { CampaignChannel, EventKind } from '../../db/schema';

export type CampaignSuggestion = {
  channels: CampaignChannel[];
  /** Start the communication this many days before the event window opens. */
  start_days_before: number;
  audience: { description: string; rule: Record<string, unknown> };
};

const CHANNELS: Record<EventKind, CampaignSuggestion['channels']> = {
  outage: ['status', 'banner'],
  maintenance: ['email', 'banner', 'status'],
  billing_run: ['email', 'banner'],
  price_change: ['email', 'banner'],
  release: ['banner', 'email'],
  holiday: ['banner', 'email'],
  other: ['banner'],
};

/**
 * What ops could put in front of the next occurrence: channels that fit the kind of event,
 * early enough to beat the first contacts, to the accounts the event concerns.
 */
export function suggestCampaign(
  kind: EventKind,
  leadDays: number,
  audience: Record<string, unknown> | null,
  reasonLabel: string,
): CampaignSuggestion {
  // Emails need a couple of days to be read; banners only need to be up when contacts start.
  const buffer = CHANNELS[kind][0] === 'email' ? 3 : 1;
  const everyone = `Everyone the event reaches; past contacts about ${reasonLabel} show who asks`;
  return {
    channels: CHANNELS[kind],
    start_days_before: leadDays + buffer,
    audience: audience
      ? { description: "The event's audience", rule: audience }
      : { description: everyone, rule: { all: true } },
  };
}
