-- Each stored measurement says which version of the measuring code took it; the code reads a
-- row of another version as missing and the measure-campaigns job measures it again, so a
-- change to the estimators no longer needs a migration that deletes what they stored. Rows
-- stored before this column are of the first version: 0037 dropped every earlier estimate.
ALTER TABLE "campaign_measurements" ADD COLUMN "method_version" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "campaign_measurements" ALTER COLUMN "method_version" DROP DEFAULT;
