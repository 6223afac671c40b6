import { sql } from 'drizzle-orm';
import { check, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { createdAt, idColumn, timestamptz } from './columns';

export const ROLES = ['admin', 'ops', 'app', 'analyst'] as const;
export type Role = (typeof ROLES)[number];

export const apiKeys = pgTable(
  'api_keys',
  {
    id: idColumn(),
    name: text('name').notNull(),
    role: text('role', { enum: ROLES }).notNull(),
    prefix: text('prefix').notNull(),
    secretHash: text('secret_hash').notNull().unique(),
    createdAt: createdAt(),
    createdBy: uuid('created_by'),
    lastUsedAt: timestamptz('last_used_at'),
    revokedAt: timestamptz('revoked_at'),
  },
  (table) => [
    check('api_keys_role_check', sql`${table.role} in ('admin', 'ops', 'app', 'analyst')`),
  ],
);

export type ApiKeyRow = typeof apiKeys.$inferSelect;
