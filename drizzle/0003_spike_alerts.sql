CREATE TABLE "spike_alerts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"reason_slug" text NOT NULL,
	"week" date NOT NULL,
	"observed" integer NOT NULL,
	"expected" real NOT NULL,
	"excess" real NOT NULL,
	"probability" real NOT NULL,
	"severity" text NOT NULL,
	"method" text NOT NULL,
	"events" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"unexplained" real NOT NULL,
	"detected_at" timestamp with time zone NOT NULL,
	"notified_at" timestamp with time zone,
	CONSTRAINT "spike_alerts_reason_week_key" UNIQUE("reason_slug","week")
);
--> statement-breakpoint
CREATE INDEX "spike_alerts_week_idx" ON "spike_alerts" USING btree ("week");