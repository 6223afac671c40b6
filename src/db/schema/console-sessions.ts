import { index, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { apiKeys } from './api-keys';
import { createdAt, timestamptz } from './columns';

/**
 * A console sign-in: the API key it was opened with (revoking the key ends it) and the CSRF
 * token its forms carry. Only the SHA-256 of the cookie's secret is stored.
 */
export const consoleSessions = pgTable(
  'console_sessions',
  {
    secretHash: text('secret_hash').primaryKey(),
    apiKeyId: uuid('api_key_id')
      .notNull()
      .references(() => apiKeys.id, { onDelete: 'cascade' }),
    csrfToken: text('csrf_token').notNull(),
    expiresAt: timestamptz('expires_at').notNull(),
    createdAt: createdAt(),
  },
  (table) => [index('console_sessions_expires_idx').on(table.expiresAt)],
);
