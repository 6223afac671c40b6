/** How far a signed timestamp may be from our clock: a replay older than this is refused. */
export const ZENDESK_TIMESTAMP_TOLERANCE_MS = 5 * 60 * 1000;

/** Whether Zendesk's signature timestamp (ISO 8601) is within the tolerance of `now`. */
export function isFreshZendeskTimestamp(timestamp: string | undefined, now: Date): boolean {
  const sent = timestamp ? Date.parse(timestamp) : Number.NaN;
  return Number.isFinite(sent) && Math.abs(now.getTime() - sent) <= ZENDESK_TIMESTAMP_TOLERANCE_MS;
}

/**
 * Zendesk signs each webhook as base64(HMAC-SHA256(secret, timestamp + raw body)): the bytes
 * as sent, so a body is checked before it is decoded (decoding drops a byte order mark). Web
 * Crypto's verify compares in constant time and runs on Node and Workers alike.
 */
export async function isValidZendeskSignature(
  secret: string,
  signature: string | undefined,
  timestamp: string | undefined,
  rawBody: Uint8Array,
): Promise<boolean> {
  if (!signature || !timestamp) return false;
  let provided: Uint8Array;
  try {
    provided = Uint8Array.from(atob(signature), (c) => c.charCodeAt(0));
  } catch {
    return false;
  }
  const key = await hmacKey(secret, 'verify');
  return crypto.subtle.verify('HMAC', key, provided, signedBytes(timestamp, rawBody));
}

/** What Zendesk sends; used by tests and by anyone replaying a delivery by hand. */
export async function signZendeskPayload(
  secret: string,
  timestamp: string,
  rawBody: string | Uint8Array,
) {
  const key = await hmacKey(secret, 'sign');
  const body = typeof rawBody === 'string' ? new TextEncoder().encode(rawBody) : rawBody;
  const mac = await crypto.subtle.sign('HMAC', key, signedBytes(timestamp, body));
  return btoa(String.fromCharCode(...new Uint8Array(mac)));
}

function signedBytes(timestamp: string, rawBody: Uint8Array): Uint8Array<ArrayBuffer> {
  const prefix = new TextEncoder().encode(timestamp);
  const bytes = new Uint8Array(prefix.byteLength + rawBody.byteLength);
  bytes.set(prefix);
  bytes.set(rawBody, prefix.byteLength);
  return bytes;
}

function hmacKey(secret: string, usage: 'sign' | 'verify') {
  return crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    [usage],
  );
}
