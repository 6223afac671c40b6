CREATE TABLE "campaign_measurements" (
	"campaign_id" uuid PRIMARY KEY NOT NULL,
	"window_end" timestamp with time zone NOT NULL,
	"measured_at" timestamp with time zone NOT NULL,
	"measurement" jsonb NOT NULL,
	"observational" jsonb
);
--> statement-breakpoint
ALTER TABLE "campaign_measurements" ADD CONSTRAINT "campaign_measurements_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;