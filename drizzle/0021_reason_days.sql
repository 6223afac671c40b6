CREATE TABLE "reason_days" (
	"reason_slug" text NOT NULL,
	"day" date NOT NULL,
	"contacts" integer NOT NULL,
	CONSTRAINT "reason_days_reason_slug_day_pk" PRIMARY KEY("reason_slug","day")
);
--> statement-breakpoint
-- The existing tickets, in the time zone the weekly rollup was built in.
INSERT INTO "reason_days" ("reason_slug", "day", "contacts")
SELECT t.reason_slug, (t.created_at AT TIME ZONE z.zone)::date, count(*)::int
FROM "tickets" t
CROSS JOIN (
  SELECT coalesce((SELECT value FROM "workspace_settings" WHERE key = 'rollup_time_zone'), 'UTC') AS zone
) z
GROUP BY 1, 2;
