-- Observational estimates (campaigns without a holdout) stored before a recent level shift's
-- size had a normal prior (its Bayes factor had been BIC's, which ignored the first week after
-- the shift; intervals were too narrow after a drop 4-8 weeks before the campaign) are measured
-- again by the next measure-campaigns run; until then the report measures them itself.
DELETE FROM "campaign_measurements"
WHERE "campaign_id" IN (SELECT "id" FROM "campaigns" WHERE "holdout_percent" = 0);
