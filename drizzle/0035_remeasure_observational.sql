-- Observational estimates (campaigns without a holdout) stored before weeks without any ticket
-- counted as missing (an imported log that stops read as years of zeros, and "prevented" came
-- out as minus every contact since) are measured again by the next measure-campaigns run;
-- until then the report measures them itself.
DELETE FROM "campaign_measurements"
WHERE "campaign_id" IN (SELECT "id" FROM "campaigns" WHERE "holdout_percent" = 0);
