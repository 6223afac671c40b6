-- The observational estimator gets a version of its own, so a change to it re-estimates the
-- campaigns without a holdout and leaves the others' sums alone. What is stored now was
-- estimated by the code of its row's method_version.
ALTER TABLE "campaign_measurements" ADD COLUMN "observational_version" integer;--> statement-breakpoint
UPDATE "campaign_measurements" AS m SET "observational_version" = m."method_version"
FROM "campaigns" AS c WHERE c."id" = m."campaign_id" AND c."holdout_percent" = 0;
