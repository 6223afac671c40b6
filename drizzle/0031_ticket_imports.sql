CREATE TABLE "ticket_imports" (
	"id" uuid PRIMARY KEY NOT NULL,
	"form_token" text NOT NULL,
	"api_key_id" uuid,
	"file_name" text NOT NULL,
	"upload" text,
	"options" jsonb NOT NULL,
	"status" text NOT NULL,
	"rows_total" integer NOT NULL,
	"lines_done" integer DEFAULT 0 NOT NULL,
	"received" integer DEFAULT 0 NOT NULL,
	"inserted" integer DEFAULT 0 NOT NULL,
	"updated" integer DEFAULT 0 NOT NULL,
	"duplicates" integer DEFAULT 0 NOT NULL,
	"rejected" integer DEFAULT 0 NOT NULL,
	"errors" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"reasons" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"first_created_at" timestamp with time zone,
	"last_created_at" timestamp with time zone,
	"checked_at" timestamp with time zone NOT NULL,
	"claim" uuid,
	"lease_until" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"failure" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "ticket_imports_form_token_key" UNIQUE("form_token"),
	CONSTRAINT "ticket_imports_status_check" CHECK ("ticket_imports"."status" in ('running', 'succeeded', 'failed'))
);
--> statement-breakpoint
CREATE INDEX "ticket_imports_running_idx" ON "ticket_imports" USING btree ("lease_until") WHERE "ticket_imports"."status" = 'running';--> statement-breakpoint
CREATE INDEX "ticket_imports_created_idx" ON "ticket_imports" USING btree ("created_at");