CREATE TABLE "component_status_changes" (
	"component_id" uuid NOT NULL,
	"status" text NOT NULL,
	"changed_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "status_notifications" (
	"id" uuid PRIMARY KEY NOT NULL,
	"subscriber_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"incident_update_id" uuid,
	"batch_id" uuid,
	"claimed_at" timestamp with time zone,
	"sent_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "status_subscribers" (
	"id" uuid PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"confirmed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "status_subscribers_email_unique" UNIQUE("email")
);
--> statement-breakpoint
CREATE TABLE "status_webhook_deliveries" (
	"webhook_id" uuid NOT NULL,
	"incident_update_id" uuid NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"last_error" text,
	"delivered_at" timestamp with time zone,
	"failed_at" timestamp with time zone,
	CONSTRAINT "status_webhook_deliveries_webhook_id_incident_update_id_pk" PRIMARY KEY("webhook_id","incident_update_id")
);
--> statement-breakpoint
CREATE TABLE "status_webhooks" (
	"id" uuid PRIMARY KEY NOT NULL,
	"url" text NOT NULL,
	"secret" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "component_status_changes" ADD CONSTRAINT "component_status_changes_component_id_status_components_id_fk" FOREIGN KEY ("component_id") REFERENCES "public"."status_components"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "status_notifications" ADD CONSTRAINT "status_notifications_subscriber_id_status_subscribers_id_fk" FOREIGN KEY ("subscriber_id") REFERENCES "public"."status_subscribers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "status_notifications" ADD CONSTRAINT "status_notifications_incident_update_id_incident_updates_id_fk" FOREIGN KEY ("incident_update_id") REFERENCES "public"."incident_updates"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "status_webhook_deliveries" ADD CONSTRAINT "status_webhook_deliveries_webhook_id_status_webhooks_id_fk" FOREIGN KEY ("webhook_id") REFERENCES "public"."status_webhooks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "status_webhook_deliveries" ADD CONSTRAINT "status_webhook_deliveries_incident_update_id_incident_updates_id_fk" FOREIGN KEY ("incident_update_id") REFERENCES "public"."incident_updates"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "component_status_changes_idx" ON "component_status_changes" USING btree ("component_id","changed_at");--> statement-breakpoint
CREATE UNIQUE INDEX "status_notifications_update_idx" ON "status_notifications" USING btree ("incident_update_id","subscriber_id");--> statement-breakpoint
CREATE INDEX "status_notifications_pending_idx" ON "status_notifications" USING btree ("sent_at","batch_id");--> statement-breakpoint
CREATE INDEX "status_webhook_deliveries_due_idx" ON "status_webhook_deliveries" USING btree ("delivered_at","next_attempt_at");--> statement-breakpoint
CREATE FUNCTION "record_component_status"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' OR NEW."status" IS DISTINCT FROM OLD."status" THEN
		INSERT INTO "component_status_changes" ("component_id", "status", "changed_at")
		VALUES (NEW."id", NEW."status", NEW."updated_at");
	END IF;
	RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER "status_components_status_recorded" AFTER INSERT OR UPDATE OF "status" ON "status_components" FOR EACH ROW EXECUTE FUNCTION "record_component_status"();--> statement-breakpoint
-- What history there is before this migration: each component operational from its creation,
-- then every change its incident updates recorded.
INSERT INTO "component_status_changes" ("component_id", "status", "changed_at")
SELECT "id", 'operational', "created_at" FROM "status_components" WHERE NOT "is_group"
UNION ALL
SELECT (a."change"->>'code')::uuid, a."change"->>'new_status', u."created_at"
FROM "incident_updates" u
CROSS JOIN LATERAL jsonb_array_elements(u."affected_components") AS a("change")
WHERE EXISTS (SELECT 1 FROM "status_components" c WHERE c."id"::text = a."change"->>'code')
UNION ALL
-- A status set directly (not by an incident) is known only from its last change.
SELECT "id", "status", "updated_at" FROM "status_components"
WHERE NOT "is_group" AND "status" <> 'operational';
