import { Resend } from 'resend';
import type { BatchOutcome, EmailTransport, OutgoingEmail } from './email-transport';
import { createRateGate } from './rate-gate';

export type ResendSettings = {
  apiKey: string;
  baseUrl: string | undefined;
  requestsPerSecond: number;
  timeoutMs: number;
};

/**
 * Resend's batch endpoint through its SDK, which never throws and never retries: it answers
 * `{ data, error, headers }`, and this maps the answer to what the sender should do next.
 */
export function createResendTransport(settings: ResendSettings): EmailTransport {
  const resend = new Resend(settings.apiKey, settings.baseUrl ? { baseUrl: settings.baseUrl } : {});
  const gate = createRateGate(settings.requestsPerSecond);
  return {
    name: 'resend',
    async sendBatch(emails: OutgoingEmail[], idempotencyKey: string): Promise<BatchOutcome> {
      await gate.wait();
      const { data, error, headers } = await resend.batch.send(
        emails.map((email) => ({
          from: email.from,
          to: [email.to],
          subject: email.subject,
          html: email.html,
          text: email.text,
          headers: email.headers,
          tags: [
            ...(email.campaignId ? [{ name: 'campaign_id', value: email.campaignId }] : []),
            { name: 'delivery_id', value: email.deliveryId },
          ],
        })),
        { idempotencyKey, signal: AbortSignal.timeout(settings.timeoutMs) },
      );
      if (data) return { kind: 'accepted', ids: data.data.map((sent) => sent.id) };
      const status = error?.statusCode ?? null;
      const reason = `${error?.name ?? 'error'}: ${error?.message ?? 'no answer'}`;
      if (status === 429) {
        const retryAfterMs = retryAfter(headers?.['retry-after']);
        gate.pause(retryAfterMs);
        return { kind: 'rate_limited', retryAfterMs };
      }
      if (status === 409 && error?.name === 'concurrent_idempotent_requests')
        return { kind: 'in_flight' };
      if (status === 409) return { kind: 'accepted_earlier', reason };
      // Credentials can be fixed by an operator while the deliveries wait and retry.
      if (status === null || status >= 500 || status === 401 || status === 403) {
        return { kind: 'transient', reason: status ? `${status} ${reason}` : reason };
      }
      return { kind: 'rejected', reason: `${status} ${reason}` };
    },
  };
}

function retryAfter(header: string | undefined): number {
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 300) * 1000 : 1000;
}
