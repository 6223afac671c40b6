-- A campaign's first email starts its exposure period whether or not it was cancelled, so the
-- report looks it up for every campaign it selects: one index step, not all its deliveries.
CREATE INDEX "email_deliveries_campaign_sent_idx" ON "email_deliveries" USING btree ("campaign_id","sent_at") WHERE "email_deliveries"."sent_at" is not null;