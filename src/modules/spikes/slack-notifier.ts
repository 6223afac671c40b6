import { displayLine } from '../../lib/display-line';
import type { SpikeView } from './spike-schemas';

const TIMEOUT_MS = 5_000;

/**
 * Text as Slack shows it, not as markup: in a message `<…>` is a link or a mention, so a
 * reason label from a ticket (`<!channel>`, `<https://evil.example|Sign in again>`) would ping
 * everyone or disguise a link. Slack's rule: escape these three, nothing else. On one line,
 * too: a label with a line break would add a line of its own to the alert.
 */
const slackText = (text: string) =>
  displayLine(text).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** One Slack incoming-webhook message for a new spike. */
export function spikeMessage(spike: SpikeView, publicUrl: string): { text: string } {
  const events = spike.events
    .map((e) => `${slackText(e.title)} (${Math.round(e.share * 100)}%)`)
    .join(', ');
  return {
    text: [
      `:chart_with_upwards_trend: *${slackText(spike.label)}* spiked in the week of ${spike.week}: ` +
        `${spike.observed} contacts against ${spike.expected} expected (${spike.severity}).`,
      events ? `Lines up with ${events}.` : 'No calendar event explains it.',
      `${publicUrl}/v1/spikes?reason=${spike.reason}&from=${spike.week}&to=${spike.week}`,
    ].join('\n'),
  };
}

/** Posts to the webhook; true when Slack accepted the message. */
export async function postToSlack(webhookUrl: string, message: { text: string }): Promise<boolean> {
  const response = await fetch(webhookUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(message),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  return response.ok;
}
