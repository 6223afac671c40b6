CREATE TABLE "removed_tickets" (
	"source" text NOT NULL,
	"external_id" text NOT NULL,
	"why" text NOT NULL,
	"source_updated_at" timestamp with time zone,
	"removed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "removed_tickets_source_external_id_pk" PRIMARY KEY("source","external_id")
);
--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "source_updated_at" timestamp with time zone;