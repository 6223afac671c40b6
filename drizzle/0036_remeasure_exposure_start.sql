-- Observational estimates (campaigns without a holdout) whose window did not start when the
-- campaign reached accounts are measured again by the next measure-campaigns run; until then
-- the report measures them itself. A back-dated campaign (published after its start) reached
-- accounts from its publication, not its planned start; one cancelled after its email went
-- out, from its first email, not its cancellation. Holdout measurements follow each account's
-- own exposure, and stay.
DELETE FROM "campaign_measurements"
WHERE "campaign_id" IN (
  SELECT "c"."id" FROM "campaigns" "c"
  WHERE "c"."holdout_percent" = 0
    AND ("c"."published_at" > "c"."starts_at"
      OR ("c"."cancelled_at" IS NOT NULL
        AND EXISTS (SELECT 1 FROM "email_deliveries" "d"
          WHERE "d"."campaign_id" = "c"."id" AND "d"."sent_at" < "c"."cancelled_at"))));
