-- A campaign's dismissals, which the console's campaign page counts and a campaign's deletion
-- cascades to: the primary key starts with the account, so each read every campaign's.
CREATE INDEX "notice_dismissals_campaign_idx" ON "notice_dismissals" USING btree ("campaign_id","account_id");