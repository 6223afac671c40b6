import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { createdAt, isOneOf, timestamptz } from './columns';

export const TICKET_IMPORT_STATUSES = ['running', 'succeeded', 'failed'] as const;

/**
 * A CSV file uploaded in the console, imported in the background. The form's one-time token
 * is unique, so a second submit of the same form finds this run instead of starting another.
 * Each batch commits with the line it reached and the running counts, and only while the
 * claim holds: a run taken over after a crash resumes after the last committed line, so no
 * ticket is lost or counted twice. The upload is kept until the run ends.
 */
export const ticketImports = pgTable(
  'ticket_imports',
  {
    id: uuid('id').primaryKey(),
    formToken: text('form_token').notNull().unique('ticket_imports_form_token_key'),
    apiKeyId: uuid('api_key_id'),
    fileName: text('file_name').notNull(),
    /**
     * The file as uploaded, in base64: the embedded database takes a few MB of text in a
     * tenth of the time it takes bytea, holding the event loop meanwhile.
     */
    upload: text('upload'),
    /** Map, source, on_error and charset, as the form gave them. */
    options: jsonb('options').notNull(),
    status: text('status', { enum: TICKET_IMPORT_STATUSES }).notNull(),
    /** Rows found when the file was checked, before the run started. */
    rowsTotal: integer('rows_total').notNull(),
    /** The last CSV line whose batch is committed. */
    linesDone: integer('lines_done').notNull().default(0),
    received: integer('received').notNull().default(0),
    inserted: integer('inserted').notNull().default(0),
    updated: integer('updated').notNull().default(0),
    duplicates: integer('duplicates').notNull().default(0),
    rejected: integer('rejected').notNull().default(0),
    /** Of updated and duplicates, rows repeating a ticket earlier in their batch. */
    repeated: integer('repeated').notNull().default(0),
    /** Up to 50 bad fields of skipped rows. */
    errors: jsonb('errors').notNull().default(sql`'[]'::jsonb`),
    /** Rows per reason as the file names it (the first spelling of each). */
    reasons: jsonb('reasons').notNull().default(sql`'{}'::jsonb`),
    firstCreatedAt: timestamptz('first_created_at'),
    lastCreatedAt: timestamptz('last_created_at'),
    /** The moment the file was checked: the rows are read against it again when written. */
    checkedAt: timestamptz('checked_at').notNull(),
    /**
     * When the run was last seen working: started, taken up, or a batch committed. A running
     * import whose progress is old has stopped, or is about to be taken up again.
     */
    progressAt: timestamptz('progress_at').notNull().defaultNow(),
    claim: uuid('claim'),
    leaseUntil: timestamptz('lease_until'),
    attempts: integer('attempts').notNull().default(0),
    failure: text('failure'),
    createdAt: createdAt(),
    finishedAt: timestamptz('finished_at'),
  },
  (table) => [
    check('ticket_imports_status_check', isOneOf(table.status, TICKET_IMPORT_STATUSES)),
    index('ticket_imports_running_idx')
      .on(table.leaseUntil)
      .where(sql`${table.status} = 'running'`),
    index('ticket_imports_created_idx').on(table.createdAt),
  ],
);

export type TicketImportRow = typeof ticketImports.$inferSelect;
