CREATE TABLE "data_anomalies" (
	"reason_slug" text NOT NULL,
	"day" date NOT NULL,
	"week" date NOT NULL,
	"contacts" integer NOT NULL,
	CONSTRAINT "data_anomalies_reason_slug_day_pk" PRIMARY KEY("reason_slug","day")
);
--> statement-breakpoint
CREATE TABLE "detection_changes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"reason_slug" text,
	"from_week" date NOT NULL,
	"changed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reason_verdicts" (
	"reason_slug" text PRIMARY KEY NOT NULL,
	"first_week" date NOT NULL,
	"observed" integer[] NOT NULL,
	"expected" real[] NOT NULL,
	"usual" real[] NOT NULL,
	"probability" real[] NOT NULL,
	"status" text NOT NULL,
	"history" integer[] NOT NULL,
	"explanations" jsonb NOT NULL,
	"computed_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "spike_weeks" (
	"reason_slug" text NOT NULL,
	"week" date NOT NULL,
	"observed" integer NOT NULL,
	"expected" real NOT NULL,
	"usual" real NOT NULL,
	"probability" real NOT NULL,
	"stage" text NOT NULL,
	"events" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"unexplained" real NOT NULL,
	CONSTRAINT "spike_weeks_reason_slug_week_pk" PRIMARY KEY("reason_slug","week")
);
--> statement-breakpoint
CREATE INDEX "data_anomalies_week_idx" ON "data_anomalies" USING btree ("week");--> statement-breakpoint
CREATE INDEX "spike_weeks_week_idx" ON "spike_weeks" USING btree ("week");--> statement-breakpoint
CREATE INDEX "tickets_reason_created_idx" ON "tickets" USING btree ("reason_slug","created_at");--> statement-breakpoint
CREATE FUNCTION "detection_changes_from_rollup"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO "detection_changes" ("reason_slug", "from_week")
	SELECT "reason_slug", min("week") FROM "changed" GROUP BY "reason_slug";
	RETURN NULL;
END $$;--> statement-breakpoint
CREATE FUNCTION "detection_changes_from_events"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	-- An event touches its affected reasons (all of them when it names none) from the week
	-- before its first padded window on.
	INSERT INTO "detection_changes" ("reason_slug", "from_week")
	SELECT r."reason", min((e."starts_at" - make_interval(days => e."lead_days" + 7))::date)
	FROM "changed" e
	LEFT JOIN LATERAL jsonb_array_elements_text(e."affected_reasons") AS r("reason") ON true
	GROUP BY r."reason";
	RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER "reason_weeks_inserted" AFTER INSERT ON "reason_weeks" REFERENCING NEW TABLE AS "changed" FOR EACH STATEMENT EXECUTE FUNCTION "detection_changes_from_rollup"();--> statement-breakpoint
CREATE TRIGGER "reason_weeks_updated" AFTER UPDATE ON "reason_weeks" REFERENCING NEW TABLE AS "changed" FOR EACH STATEMENT EXECUTE FUNCTION "detection_changes_from_rollup"();--> statement-breakpoint
CREATE TRIGGER "reason_weeks_deleted" AFTER DELETE ON "reason_weeks" REFERENCING OLD TABLE AS "changed" FOR EACH STATEMENT EXECUTE FUNCTION "detection_changes_from_rollup"();--> statement-breakpoint
CREATE TRIGGER "events_inserted" AFTER INSERT ON "events" REFERENCING NEW TABLE AS "changed" FOR EACH STATEMENT EXECUTE FUNCTION "detection_changes_from_events"();--> statement-breakpoint
CREATE TRIGGER "events_updated_new" AFTER UPDATE ON "events" REFERENCING NEW TABLE AS "changed" FOR EACH STATEMENT EXECUTE FUNCTION "detection_changes_from_events"();--> statement-breakpoint
CREATE TRIGGER "events_updated_old" AFTER UPDATE ON "events" REFERENCING OLD TABLE AS "changed" FOR EACH STATEMENT EXECUTE FUNCTION "detection_changes_from_events"();--> statement-breakpoint
CREATE TRIGGER "events_deleted" AFTER DELETE ON "events" REFERENCING OLD TABLE AS "changed" FOR EACH STATEMENT EXECUTE FUNCTION "detection_changes_from_events"();
