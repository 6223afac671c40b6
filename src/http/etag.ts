import { sha256 } from '@noble/hashes/sha2.js';
import { base64url } from '../lib/base64url';

/** A strong validator of exactly these bytes. */
export function strongEtag(body: string): string {
  return `"${base64url(sha256(new TextEncoder().encode(body)).subarray(0, 18))}"`;
}

/**
 * Whether `If-None-Match` names this ETag (or is `*`), by the weak comparison RFC 9110
 * prescribes for it: `W/"x"` and `"x"` match, so an answer a proxy or CDN marked weak (as
 * they do when they compress it) still earns its 304.
 */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const opaque = withoutWeakness(etag);
  return (
    ifNoneMatch.trim() === '*' ||
    ifNoneMatch.split(',').some((candidate) => withoutWeakness(candidate.trim()) === opaque)
  );
}

const withoutWeakness = (tag: string) => (tag.startsWith('W/') ? tag.slice(2) : tag);
