-- The version (the row's ETag) is the database's to keep, not each writer's: any update that
-- changes what the API shows of the row moves it by one, whoever wrote it (a service, a
-- foreign key's ON DELETE SET NULL, a hand-run statement). An update that changes nothing the
-- API shows keeps it, so clients' ETags do not go stale for nothing, and a version set by
-- hand is ignored. The trigger's arguments name the columns the API does not show; every
-- other column counts, so a column added later moves the version until it is named here.
CREATE FUNCTION "bump_version"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	unshown text[] := ARRAY['version'] || TG_ARGV;
BEGIN
	IF (to_jsonb(NEW) - unshown) IS DISTINCT FROM (to_jsonb(OLD) - unshown) THEN
		NEW."version" := OLD."version" + 1;
	ELSE
		NEW."version" := OLD."version";
	END IF;
	RETURN NEW;
END $$;
--> statement-breakpoint
-- origin_id: the key an import finds its event by again; GET shows the origin, not the key.
CREATE TRIGGER "events_version" BEFORE UPDATE ON "events" FOR EACH ROW EXECUTE FUNCTION "bump_version"('origin_id');
--> statement-breakpoint
-- A campaign's GET shows every column it has.
CREATE TRIGGER "campaigns_version" BEFORE UPDATE ON "campaigns" FOR EACH ROW EXECUTE FUNCTION "bump_version"();
