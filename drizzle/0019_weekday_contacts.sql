CREATE TABLE "weekday_contacts" (
	"week" date NOT NULL,
	"weekday" smallint NOT NULL,
	"contacts" integer NOT NULL,
	CONSTRAINT "weekday_contacts_week_weekday_pk" PRIMARY KEY("week","weekday")
);
--> statement-breakpoint
-- The existing tickets, in the time zone the weekly rollup was built in.
INSERT INTO "weekday_contacts" ("week", "weekday", "contacts")
SELECT (date_trunc('week', t.created_at AT TIME ZONE z.zone))::date,
       extract(isodow FROM t.created_at AT TIME ZONE z.zone)::smallint,
       count(*)::int
FROM "tickets" t
CROSS JOIN (
  SELECT coalesce((SELECT value FROM "workspace_settings" WHERE key = 'rollup_time_zone'), 'UTC') AS zone
) z
GROUP BY 1, 2;
