import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { and, eq, isNull, lt, sql } from 'drizzle-orm';
import type { MiddlewareHandler } from 'hono';
import type { Db } from '../db/database';
import { rowsOf } from '../db/json-param';
import { idempotencyKeys } from '../db/schema';
import { withTransactionStep } from '../db/transaction-step';
import type { AppEnv } from './app-env';
import { AppError } from './app-error';
import { PROBLEM_CONTENT_TYPE, toProblem } from './problem';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** How long an answer is kept for replay, as Resend and Stripe keep theirs. */
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;

/**
 * `Idempotency-Key` for routes that create things, and for the PUT of an event and the PATCH of
 * a campaign (whose retry would otherwise meet a 412 or 409 for its own change): the first
 * request with a key runs and its answer (below 500, other than a 409 or a 412) is stored,
 * with its ETag; a retry with the same key and the same request gets that answer again
 * (`Idempotent-Replayed: true`) without running; the same key with a different request is a
 * 422; a retry while the first is still running is a 409 (also after the request's deadline
 * answered 503: the work may still finish). A 409 or a 412 from the work frees the key, and so
 * does a 5xx unless the work had committed (its mark says so): every retry is then a 409 saying
 * the answer was lost. A first request whose process stopped runs again on a retry once it has
 * not answered for five minutes, unless its work had committed: that retry is the same 409.
 */
export const idempotent: MiddlewareHandler<AppEnv> = async (c, next) => {
  const key = c.req.header(IDEMPOTENCY_HEADER);
  if (key === undefined) return next();
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw new AppError('validation_failed', 'The Idempotency-Key header is not valid.', [
      {
        location: 'header',
        path: 'Idempotency-Key',
        message: 'must be 1–255 printable characters',
      },
    ]);
  }
  const requestHash = hashOfRequest(`${c.req.method} ${c.req.path}\n${await c.req.text()}`);
  const stored = idempotencyRecord(c.var.deps.db, c.var.principal.keyId, key);
  const replayed = await stored.claim(requestHash, c.var.deps.clock.now());
  if (replayed) return replayed;
  await stored.run(next);
  // The deadline may have answered 503 while the handler ran on and did the work: what the
  // handler answered is then what a retry must get, not a second run.
  const handled = c.get('handlerAnswer');
  const answer = c.res.status >= 500 && handled && handled.status < 500 ? handled : c.res;
  // A conflict depends on what the stored data was at that moment (a row changed meanwhile, a
  // name then taken): the same request may succeed later, so the key stays free for it. So
  // does a 412: sent again as it was, it is refused again (versions only grow), while one
  // whose If-Match was corrected after reading again (headers are not in the request's hash)
  // must run rather than get the kept 412.
  if (answer.status === 409 || answer.status === 412) {
    await stored.release();
    return;
  }
  if (answer.status >= 500) {
    await stored.failed(c.var.requestId);
    return;
  }
  await stored.keep(answer);
};

export const hashOfRequest = (text: string) => bytesToHex(sha256(new TextEncoder().encode(text)));

/**
 * One key of one API key (the console's forms use them too, for the signed-in key): claimed by
 * the first request with it, which runs the work and keeps its answer or releases the key.
 */
export function idempotencyRecord(db: Db, apiKeyId: string, key: string) {
  const where = and(eq(idempotencyKeys.apiKeyId, apiKeyId), eq(idempotencyKeys.key, key));
  const markCommitted = (tx: Db) =>
    tx.update(idempotencyKeys).set({ workCommitted: true }).where(where);
  const keep = async (answer: Response) => {
    await db
      .update(idempotencyKeys)
      .set({
        status: answer.status,
        contentType: answer.headers.get('content-type'),
        etag: answer.headers.get('etag'),
        location: answer.headers.get('location'),
        body: await answer.clone().text(),
      })
      .where(where);
  };
  return {
    /**
     * Undefined when this request is the one to run the work; the kept answer when there is
     * one. Throws when the key was used for another request, is held by a first request still
     * running, or its answer was lost.
     */
    async claim(requestHash: string, now: Date): Promise<Response | undefined> {
      // Inserted only when no row is there: a key still running has its row locked by the
      // first request's transaction (the commit mark), and an insert meeting that row would
      // wait for the transaction, holding a pooled connection (up to the statement timeout),
      // where `not exists` reads the row as committed and goes on at once.
      const claim = async () =>
        rowsOf<{ key: string }>(
          await db.execute(sql`
            insert into ${idempotencyKeys} (api_key_id, key, request_hash, created_at)
            select ${apiKeyId}::uuid, ${key}, ${requestHash}, ${now.toISOString()}::timestamptz
            where not exists (select from ${idempotencyKeys} where ${where})
            on conflict do nothing
            returning key`),
        );
      if ((await claim()).length > 0) return undefined;
      const answer = await replay(db, apiKeyId, key, requestHash, now);
      if (answer) return answer;
      // The first attempt died without answering: this one takes its place.
      if ((await claim()).length === 0) {
        throw new AppError('idempotency_key_in_use', 'Another retry with this key just started.');
      }
      return undefined;
    },
    /** Runs the claimed work; its transactions mark the key, so a crash after them is known. */
    run: <T>(work: () => Promise<T>) => withTransactionStep(markCommitted, work),
    keep,
    release: async () => {
      await db.delete(idempotencyKeys).where(where);
    },
    /**
     * After the work failed: frees the key unless the work committed; then keeps, as the answer
     * every retry gets, that it was carried out and its answer lost (running it again would do
     * it twice).
     */
    failed: async (requestId: string) => {
      const freed = await db
        .delete(idempotencyKeys)
        .where(and(where, eq(idempotencyKeys.workCommitted, false)))
        .returning({ key: idempotencyKeys.key });
      if (freed.length > 0) return;
      const lost = new AppError(
        'idempotency_answer_lost',
        'The first request with this key was carried out, but it failed before it answered. ' +
          LOOK_IT_UP,
      );
      await keep(
        new Response(JSON.stringify(toProblem(lost, requestId)), {
          status: lost.status,
          headers: { 'content-type': PROBLEM_CONTENT_TYPE },
        }),
      );
    },
  };
}

const LOOK_IT_UP = 'Look up what it made or changed instead of sending it again.';

/** A first request that has not answered in this long is taken to have died with its process. */
const ABANDONED_AFTER_MS = 5 * 60 * 1000;

/** The stored answer; undefined when the key is free again for this request to run. */
async function replay(
  db: Db,
  apiKeyId: string,
  key: string,
  requestHash: string,
  now: Date,
): Promise<Response | undefined> {
  const [stored] = await db
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.apiKeyId, apiKeyId), eq(idempotencyKeys.key, key)));
  // The first request failed (a 5xx frees its key) between this one's claim and this read.
  if (!stored) return undefined;
  if (stored.requestHash !== requestHash) {
    throw new AppError(
      'idempotency_key_reused',
      'This Idempotency-Key was already used for a different request; use a new key.',
    );
  }
  const abandoned =
    stored.status === null && now.getTime() - stored.createdAt.getTime() > ABANDONED_AFTER_MS;
  if (abandoned && stored.workCommitted) {
    // Its process stopped after the work committed and before the answer was stored: running
    // it again would do the work twice, and the answer cannot be told now.
    throw new AppError(
      'idempotency_answer_lost',
      'The first request with this key was carried out, but its answer was lost when its ' +
        `process stopped. ${LOOK_IT_UP}`,
    );
  }
  if (abandoned) {
    await db
      .delete(idempotencyKeys)
      .where(
        and(
          eq(idempotencyKeys.apiKeyId, apiKeyId),
          eq(idempotencyKeys.key, key),
          isNull(idempotencyKeys.status),
        ),
      );
    return undefined;
  }
  if (stored.status === null) {
    throw new AppError(
      'idempotency_key_in_use',
      'The first request with this key is still running; retry shortly.',
    );
  }
  return new Response(stored.status === 204 ? null : stored.body, {
    status: stored.status,
    headers: {
      ...(stored.contentType ? { 'content-type': stored.contentType } : {}),
      ...(stored.etag ? { etag: stored.etag } : {}),
      ...(stored.location ? { location: stored.location } : {}),
      'idempotent-replayed': 'true',
    },
  });
}

/** Forgets answers older than the retention period. */
export async function pruneIdempotencyKeys(db: Db, now: Date): Promise<void> {
  await db
    .delete(idempotencyKeys)
    .where(lt(idempotencyKeys.createdAt, new Date(now.getTime() - IDEMPOTENCY_RETENTION_MS)));
}
