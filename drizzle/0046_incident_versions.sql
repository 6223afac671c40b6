ALTER TABLE "incidents" ADD COLUMN "version" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
-- An incident's or a maintenance's version (its ETag) is the database's to keep, as an event's
-- and a campaign's are (drizzle/0030): any update of a column the API shows moves it.
-- campaign_id: the banner it leads to, which the API does not show (a campaign deleted sets it
-- null, and a reopening points it at a new banner along with the status it moves anyway).
-- The trigger runs for statements written at the top level; one run by another trigger (the
-- count of updates below, a foreign key's ON DELETE SET NULL of campaign_id) is trusted to
-- say what the version becomes.
CREATE TRIGGER "incidents_version" BEFORE UPDATE ON "incidents" FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION "bump_version"('campaign_id');
--> statement-breakpoint
-- Its answer lists its updates: each one posted moves the version too, even when the row
-- itself is left as it was (an update in the same status, in the same millisecond).
CREATE FUNCTION "bump_incident_version_on_update"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE "incidents" SET "version" = "version" + 1 WHERE "id" = NEW."incident_id";
	RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "incident_updates_version" AFTER INSERT ON "incident_updates" FOR EACH ROW EXECUTE FUNCTION "bump_incident_version_on_update"();
