CREATE OR REPLACE FUNCTION "detection_changes_from_events"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	-- An event touches its affected reasons (all of them when it names none) from the week
	-- before its first padded window on. Its first start is the earliest of starts_at and its
	-- extra starts: an RDATE may come before DTSTART, and detection counts it. Excluded starts
	-- only take out starts of the rule (never before starts_at) or extra ones.
	INSERT INTO "detection_changes" ("reason_slug", "from_week")
	SELECT r."reason", min((f."first_start" - make_interval(days => e."lead_days" + 7))::date)
	FROM "changed" e
	CROSS JOIN LATERAL (
		SELECT least(e."starts_at", min(x."start"::timestamptz)) AS "first_start"
		FROM jsonb_array_elements_text(e."extra_starts") AS x("start")
	) f
	LEFT JOIN LATERAL jsonb_array_elements_text(e."affected_reasons") AS r("reason") ON true
	GROUP BY r."reason";
	RETURN NULL;
END $$;
--> statement-breakpoint
-- Events stored before this function with an extra start before starts_at left the verdicts
-- of their earlier weeks computed without them: those weeks are recomputed once.
INSERT INTO "detection_changes" ("reason_slug", "from_week")
SELECT r."reason", min((f."first_start" - make_interval(days => e."lead_days" + 7))::date)
FROM "events" e
CROSS JOIN LATERAL (
	SELECT min(x."start"::timestamptz) AS "first_start"
	FROM jsonb_array_elements_text(e."extra_starts") AS x("start")
) f
LEFT JOIN LATERAL jsonb_array_elements_text(e."affected_reasons") AS r("reason") ON true
WHERE f."first_start" < e."starts_at"
GROUP BY r."reason";
