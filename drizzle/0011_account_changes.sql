CREATE TABLE "account_changes" (
	"xid" "xid8" DEFAULT pg_current_xact_id() NOT NULL,
	"account_id" text,
	"changed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "account_changes_xid_idx" ON "account_changes" USING btree ("xid");--> statement-breakpoint
CREATE INDEX "account_changes_changed_at_idx" ON "account_changes" USING btree ("changed_at");--> statement-breakpoint
CREATE FUNCTION "account_changes_from_accounts"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO "account_changes" ("account_id") SELECT "id" FROM "changed";
	RETURN NULL;
END $$;--> statement-breakpoint
CREATE FUNCTION "account_changes_from_dismissals"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO "account_changes" ("account_id") SELECT DISTINCT "account_id" FROM "changed";
	RETURN NULL;
END $$;--> statement-breakpoint
CREATE FUNCTION "account_changes_all"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO "account_changes" ("account_id") VALUES (NULL);
	RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER "accounts_inserted" AFTER INSERT ON "accounts" REFERENCING NEW TABLE AS "changed" FOR EACH STATEMENT EXECUTE FUNCTION "account_changes_from_accounts"();--> statement-breakpoint
CREATE TRIGGER "accounts_updated" AFTER UPDATE ON "accounts" REFERENCING NEW TABLE AS "changed" FOR EACH STATEMENT EXECUTE FUNCTION "account_changes_from_accounts"();--> statement-breakpoint
CREATE TRIGGER "accounts_deleted" AFTER DELETE ON "accounts" REFERENCING OLD TABLE AS "changed" FOR EACH STATEMENT EXECUTE FUNCTION "account_changes_from_accounts"();--> statement-breakpoint
CREATE TRIGGER "accounts_truncated" AFTER TRUNCATE ON "accounts" FOR EACH STATEMENT EXECUTE FUNCTION "account_changes_all"();--> statement-breakpoint
CREATE TRIGGER "notice_dismissals_inserted" AFTER INSERT ON "notice_dismissals" REFERENCING NEW TABLE AS "changed" FOR EACH STATEMENT EXECUTE FUNCTION "account_changes_from_dismissals"();--> statement-breakpoint
CREATE TRIGGER "notice_dismissals_deleted" AFTER DELETE ON "notice_dismissals" REFERENCING OLD TABLE AS "changed" FOR EACH STATEMENT EXECUTE FUNCTION "account_changes_from_dismissals"();--> statement-breakpoint
CREATE TRIGGER "notice_dismissals_truncated" AFTER TRUNCATE ON "notice_dismissals" FOR EACH STATEMENT EXECUTE FUNCTION "account_changes_all"();
