ALTER TABLE "status_notifications" ADD COLUMN "provider_id" text;--> statement-breakpoint
CREATE INDEX "status_notifications_provider_idx" ON "status_notifications" USING btree ("provider_id");