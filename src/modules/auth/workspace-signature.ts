import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database';
import { rowsOf } from '../../db/json-param';
import { base64url } from '../../lib/base64url';

/**
 * HMAC-SHA256 signatures with a workspace secret: the configured one, or one generated once
 * per purpose and shared by every instance through `workspace_settings`.
 */
export type SecretSource = { setting: string; configured: string | undefined };

const secrets = new WeakMap<Db, Map<string, Promise<Uint8Array>>>();
// The same secrets once read, so a signature can be checked without waiting.
const loadedSecrets = new WeakMap<Db, Map<string, Uint8Array>>();

function secretFor(db: Db, source: SecretSource): Promise<Uint8Array> {
  if (source.configured) return Promise.resolve(new TextEncoder().encode(source.configured));
  let bySetting = secrets.get(db);
  if (!bySetting) {
    bySetting = new Map();
    secrets.set(db, bySetting);
  }
  let secret = bySetting.get(source.setting);
  if (!secret) {
    secret = loadOrCreateSecret(db, source.setting);
    secret.then(
      (loaded) => {
        let loadedBySetting = loadedSecrets.get(db);
        if (!loadedBySetting) {
          loadedBySetting = new Map();
          loadedSecrets.set(db, loadedBySetting);
        }
        loadedBySetting.set(source.setting, loaded);
      },
      () => bySetting.delete(source.setting),
    );
    bySetting.set(source.setting, secret);
  }
  return secret;
}

function secretInMemory(db: Db, source: SecretSource): Uint8Array | undefined {
  if (source.configured) return new TextEncoder().encode(source.configured);
  return loadedSecrets.get(db)?.get(source.setting);
}

async function loadOrCreateSecret(db: Db, setting: string): Promise<Uint8Array> {
  const candidate = base64url(crypto.getRandomValues(new Uint8Array(32)));
  await db.execute(sql`
    insert into workspace_settings (key, value) values (${setting}, ${candidate})
    on conflict (key) do nothing`);
  const [row] = rowsOf<{ value: string }>(
    await db.execute(sql`select value from workspace_settings where key = ${setting}`),
  );
  if (!row) throw new Error(`the workspace secret ${setting} could not be stored`);
  return new TextEncoder().encode(row.value);
}

export async function signBody(db: Db, source: SecretSource, body: string): Promise<string> {
  return base64url(hmac(sha256, await secretFor(db, source), new TextEncoder().encode(body)));
}

export async function hasValidSignature(
  db: Db,
  source: SecretSource,
  body: string,
  signature: string,
): Promise<boolean> {
  return constantTimeEqual(await signBody(db, source, body), signature);
}

/**
 * `hasValidSignature` that never creates the secret: while none exists, nothing was signed with
 * it, so nothing is valid, and a request refused for it writes nothing.
 */
export async function hasValidSignatureOnceSigning(
  db: Db,
  source: SecretSource,
  body: string,
  signature: string,
): Promise<boolean> {
  if (!secretInMemory(db, source) && !source.configured) {
    const [row] = rowsOf<{ key: string }>(
      await db.execute(sql`select key from workspace_settings where key = ${source.setting}`),
    );
    if (!row) return false;
  }
  return hasValidSignature(db, source, body, signature);
}

/**
 * `hasValidSignature` without waiting: undefined while the secret has not been read yet on
 * this instance (ask `hasValidSignature` then).
 */
export function hasValidSignatureInMemory(
  db: Db,
  source: SecretSource,
  body: string,
  signature: string,
): boolean | undefined {
  const secret = secretInMemory(db, source);
  if (!secret) return undefined;
  const expected = base64url(hmac(sha256, secret, new TextEncoder().encode(body)));
  return constantTimeEqual(expected, signature);
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}
