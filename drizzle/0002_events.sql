CREATE TABLE "events" (
	"id" uuid PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"title" text NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"rrule" text,
	"lead_days" integer DEFAULT 0 NOT NULL,
	"lag_days" integer DEFAULT 0 NOT NULL,
	"affected_reasons" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"audience" jsonb,
	"origin" text DEFAULT 'manual' NOT NULL,
	"origin_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "events_origin_key" UNIQUE("origin","origin_id")
);
--> statement-breakpoint
CREATE INDEX "events_starts_at_idx" ON "events" USING btree ("starts_at");