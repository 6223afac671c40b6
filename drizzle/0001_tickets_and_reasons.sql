CREATE TABLE "reason_aliases" (
	"alias" text PRIMARY KEY NOT NULL,
	"reason_slug" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reason_weeks" (
	"reason_slug" text NOT NULL,
	"week" date NOT NULL,
	"contacts" integer NOT NULL,
	CONSTRAINT "reason_weeks_reason_slug_week_pk" PRIMARY KEY("reason_slug","week")
);
--> statement-breakpoint
CREATE TABLE "reasons" (
	"slug" text PRIMARY KEY NOT NULL,
	"label" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tickets" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "tickets_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"source" text NOT NULL,
	"external_id" text NOT NULL,
	"account_id" text,
	"raw_reason_key" text NOT NULL,
	"reason_slug" text NOT NULL,
	"sub_reason" text,
	"channel" text,
	"created_at" timestamp with time zone NOT NULL,
	"resolved_at" timestamp with time zone,
	"csat" smallint,
	"is_recontact" boolean DEFAULT false NOT NULL,
	"ingested_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tickets_source_external_id_key" UNIQUE("source","external_id"),
	CONSTRAINT "tickets_csat_check" CHECK ("tickets"."csat" between 1 and 5)
);
--> statement-breakpoint
CREATE TABLE "workspace_settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "reason_aliases" ADD CONSTRAINT "reason_aliases_reason_slug_reasons_slug_fk" FOREIGN KEY ("reason_slug") REFERENCES "public"."reasons"("slug") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_reason_slug_reasons_slug_fk" FOREIGN KEY ("reason_slug") REFERENCES "public"."reasons"("slug") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "reason_aliases_reason_slug_idx" ON "reason_aliases" USING btree ("reason_slug");--> statement-breakpoint
CREATE INDEX "tickets_account_reason_created_idx" ON "tickets" USING btree ("account_id","reason_slug","created_at");--> statement-breakpoint
CREATE INDEX "tickets_raw_reason_key_idx" ON "tickets" USING btree ("raw_reason_key");