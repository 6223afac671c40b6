ALTER TABLE "events" ADD COLUMN "excluded_starts" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "extra_starts" jsonb DEFAULT '[]'::jsonb NOT NULL;