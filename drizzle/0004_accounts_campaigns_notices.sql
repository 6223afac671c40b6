CREATE TABLE "account_contacts" (
	"account_id" text NOT NULL,
	"email" text NOT NULL,
	"name" text,
	"locale" text,
	CONSTRAINT "account_contacts_account_id_email_pk" PRIMARY KEY("account_id","email")
);
--> statement-breakpoint
CREATE TABLE "accounts" (
	"id" text PRIMARY KEY NOT NULL,
	"plan" text,
	"region" text,
	"components" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"locale" text,
	"time_zone" text,
	"attributes" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "campaign_audit" (
	"id" uuid PRIMARY KEY NOT NULL,
	"campaign_id" uuid NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"changes" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "campaigns" (
	"id" uuid PRIMARY KEY NOT NULL,
	"channels" jsonb NOT NULL,
	"title" text NOT NULL,
	"body_markdown" text NOT NULL,
	"body_html" text NOT NULL,
	"severity" text NOT NULL,
	"cta_label" text,
	"cta_url" text,
	"locales" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"starts_at" timestamp with time zone,
	"ends_at" timestamp with time zone,
	"audience" jsonb NOT NULL,
	"event_id" uuid,
	"target_reasons" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"holdout_percent" integer DEFAULT 0 NOT NULL,
	"origin" text DEFAULT 'manual' NOT NULL,
	"origin_id" uuid,
	"published_at" timestamp with time zone,
	"cancelled_at" timestamp with time zone,
	"version" integer DEFAULT 1 NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "campaigns_holdout_check" CHECK ("campaigns"."holdout_percent" between 0 and 50),
	CONSTRAINT "campaigns_window_check" CHECK ("campaigns"."ends_at" is null or "campaigns"."starts_at" is null or "campaigns"."ends_at" >= "campaigns"."starts_at"),
	CONSTRAINT "campaigns_published_start_check" CHECK ("campaigns"."published_at" is null or "campaigns"."starts_at" is not null)
);
--> statement-breakpoint
CREATE TABLE "exposures" (
	"campaign_id" uuid NOT NULL,
	"account_id" text NOT NULL,
	"group" text NOT NULL,
	"channel" text NOT NULL,
	"first_at" timestamp with time zone NOT NULL,
	CONSTRAINT "exposures_campaign_id_account_id_pk" PRIMARY KEY("campaign_id","account_id"),
	CONSTRAINT "exposures_group_check" CHECK ("exposures"."group" in ('treated', 'holdout'))
);
--> statement-breakpoint
CREATE TABLE "notice_dismissals" (
	"account_id" text NOT NULL,
	"campaign_id" uuid NOT NULL,
	"dismissed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "notice_dismissals_account_id_campaign_id_pk" PRIMARY KEY("account_id","campaign_id")
);
--> statement-breakpoint
ALTER TABLE "account_contacts" ADD CONSTRAINT "account_contacts_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "campaign_audit" ADD CONSTRAINT "campaign_audit_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "campaigns" ADD CONSTRAINT "campaigns_event_id_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."events"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "exposures" ADD CONSTRAINT "exposures_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notice_dismissals" ADD CONSTRAINT "notice_dismissals_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notice_dismissals" ADD CONSTRAINT "notice_dismissals_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "accounts_components_idx" ON "accounts" USING gin ("components");--> statement-breakpoint
CREATE INDEX "campaign_audit_campaign_idx" ON "campaign_audit" USING btree ("campaign_id","at");--> statement-breakpoint
CREATE INDEX "campaigns_live_idx" ON "campaigns" USING btree ("ends_at") WHERE "campaigns"."published_at" is not null and "campaigns"."cancelled_at" is null;--> statement-breakpoint
CREATE INDEX "campaigns_origin_idx" ON "campaigns" USING btree ("origin","origin_id");--> statement-breakpoint
CREATE INDEX "exposures_account_idx" ON "exposures" USING btree ("account_id");