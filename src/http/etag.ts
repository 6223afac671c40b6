import { sha256 } from '@noble/hashes/sha2.js';
import { base64url } from '../lib/base64url';

/** A strong validator of exactly these bytes. */
export function strongEtag(body: string): string {
  return `"${base64url(sha256(new TextEncoder().encode(body)).subarray(0, 18))}"`;
}

/**
 * Whether `If-None-Match` names this ETag (or is `*`), by the weak comparison RFC 9110
 * prescribes for it: `W/"x"` and `"x"` match, so an answer a proxy or CDN marked weak (as
 * they do when they compress it) still earns its 304. A value `If-Match` would refuse as
 * unreadable names nothing here: the full answer is always a right one, so it is sent rather
 * than a 400 (HTTP lets a server ignore a precondition it cannot read; caches and the notices
 * script must never be refused over one).
 */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  // What clients send back almost always: the tag itself, checked without parsing.
  if (ifNoneMatch === etag) return true;
  const tags = parseEntityTags(ifNoneMatch);
  if (tags === null) return false;
  if (tags === '*') return true;
  const opaque = withoutWeakness(etag);
  return tags.some((tag) => withoutWeakness(tag) === opaque);
}

const withoutWeakness = (tag: string) => (tag.startsWith('W/') ? tag.slice(2) : tag);

/** The strong ETag of a row that counts its changes in a `version` column. */
export const versionEtag = (version: number): string => `"${version}"`;

/**
 * What `If-Match` asks for: any current representation (`*`), or one of the entity-tags listed
 * (weak ones kept as sent: the strong comparison RFC 9110 §13.1.1 requires never matches them).
 */
export type IfMatch = '*' | readonly string[];

// One list element and the comma (or end) after it; an element may be empty, as lists allow
// (RFC 9110 §5.6.1), and a tag may hold a comma.
const LIST_ELEMENT = /[ \t]*((?:W\/)?"[\x21\x23-\x7e\x80-\xff]*")?[ \t]*(,|$)/y;

/**
 * `If-Match` or `If-None-Match` as RFC 9110 writes them (`*`, or a list of entity-tags); null
 * when it is not, or names no entity-tag.
 */
export function parseEntityTags(value: string): IfMatch | null {
  if (value.trim() === '*') return '*';
  const tags: string[] = [];
  LIST_ELEMENT.lastIndex = 0;
  for (;;) {
    const element = LIST_ELEMENT.exec(value);
    if (!element) return null;
    if (element[1]) tags.push(element[1]);
    if (element[2] === '') break;
  }
  return tags.length > 0 ? tags : null;
}

/** Whether `If-Match` holds for a current representation whose strong ETag is `etag`. */
export function ifMatchHolds(ifMatch: IfMatch, etag: string): boolean {
  // Strong comparison: both tags strong and the same; `etag` is strong, so equality is it.
  return ifMatch === '*' || ifMatch.includes(etag);
}
