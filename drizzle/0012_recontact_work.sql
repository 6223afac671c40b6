CREATE TABLE "recontact_work" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "recontact_work_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"points" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
-- Queued points are read once and deleted: compressing them would only cost the ingest time.
ALTER TABLE "recontact_work" ALTER COLUMN "points" SET STORAGE EXTERNAL;
