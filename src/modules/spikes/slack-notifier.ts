import type { SpikeView } from './spike-schemas';

const TIMEOUT_MS = 5_000;

/** One Slack incoming-webhook message for a new spike. */
export function spikeMessage(spike: SpikeView, publicUrl: string): { text: string } {
  const events = spike.events.map((e) => `${e.title} (${Math.round(e.share * 100)}%)`).join(', ');
  return {
    text: [
      `:chart_with_upwards_trend: *${spike.label}* spiked in the week of ${spike.week}: ` +
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
