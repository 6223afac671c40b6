/**
 * Zendesk signs each webhook as base64(HMAC-SHA256(secret, timestamp + raw body)). Web
 * Crypto's verify compares in constant time and runs on Node and Workers alike.
 */
export async function isValidZendeskSignature(
  secret: string,
  signature: string | undefined,
  timestamp: string | undefined,
  rawBody: string,
): Promise<boolean> {
  if (!signature || !timestamp) return false;
  let provided: Uint8Array;
  try {
    provided = Uint8Array.from(atob(signature), (c) => c.charCodeAt(0));
  } catch {
    return false;
  }
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  );
  return crypto.subtle.verify('HMAC', key, provided, encoder.encode(timestamp + rawBody));
}

export async function signZendeskPayload(secret: string, timestamp: string, rawBody: string) {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const mac = await crypto.subtle.sign('HMAC', key, encoder.encode(timestamp + rawBody));
  return btoa(String.fromCharCode(...new Uint8Array(mac)));
}
