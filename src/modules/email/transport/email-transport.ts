/** One message as forestall hands it to a transport. */
export type OutgoingEmail = {
  /** The delivery (or other message) this is, unique per message. */
  deliveryId: string;
  campaignId: string | null;
  from: string;
  to: string;
  subject: string;
  html: string;
  text: string;
  headers: Record<string, string>;
};

/** What became of one batch request; the sender decides what each means for the deliveries. */
export type BatchOutcome =
  /** Accepted; the provider's id for each email, in order. */
  | { kind: 'accepted'; ids: string[] }
  | { kind: 'rate_limited'; retryAfterMs: number }
  /** Worth retrying with the same key and body: 5xx, network error, timeout, bad credentials. */
  | { kind: 'transient'; reason: string }
  /** The same key is still being processed by the provider. */
  | { kind: 'in_flight' }
  /** The key was used before with another body: the first request was accepted. */
  | { kind: 'accepted_earlier'; reason: string }
  /** Refused for good (validation): retrying would not help. */
  | { kind: 'rejected'; reason: string };

export type EmailTransport = {
  name: 'resend' | 'outbox';
  /** Up to 100 emails as one request, sent with this idempotency key. */
  sendBatch(emails: OutgoingEmail[], idempotencyKey: string): Promise<BatchOutcome>;
};

export const MAX_BATCH = 100;
