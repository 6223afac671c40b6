import { boolean, integer, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { createdAt } from './columns';

/**
 * The outcome of a request sent with an `Idempotency-Key` (or a console form's one-time key,
 * under the signed-in API key), per API key, so a retry gets the first answer instead of doing
 * the work twice. `status` is null while the first is running.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    apiKeyId: uuid('api_key_id').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    status: integer('status'),
    contentType: text('content_type'),
    body: text('body'),
    /** The answer's ETag, replayed with it: the version a retried write left. */
    etag: text('etag'),
    /** The answer's Location: where a console form's redirect led, replayed with it. */
    location: text('location'),
    /**
     * Set by the first request's own transaction, so true exactly when its work committed:
     * a retry after a crash between that commit and the stored answer must not do it again.
     */
    workCommitted: boolean('work_committed').notNull().default(false),
    createdAt: createdAt(),
  },
  (table) => [primaryKey({ columns: [table.apiKeyId, table.key] })],
);
