-- Addresses kept as given for sending beside their lower-cased form, which comparisons use.
-- Null on rows from before: their case is lost, and the lower-cased form is sent instead.
ALTER TABLE "account_contacts" ADD COLUMN "email_as_given" text;--> statement-breakpoint
ALTER TABLE "email_deliveries" ADD COLUMN "email_as_given" text;--> statement-breakpoint
ALTER TABLE "status_subscribers" ADD COLUMN "email_as_given" text;