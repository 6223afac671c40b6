import { sha256 } from '@noble/hashes/sha2.js';
import { base64url } from '../base64url';

/** A strong validator of exactly these bytes. */
export function strongEtag(body: string): string {
  return `"${base64url(sha256(new TextEncoder().encode(body)).subarray(0, 18))}"`;
}

/** Whether `If-None-Match` names this ETag (or `*`). */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return (
    ifNoneMatch.trim() === '*' ||
    ifNoneMatch.split(',').some((candidate) => candidate.trim() === etag)
  );
}
