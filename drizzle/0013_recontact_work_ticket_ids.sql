ALTER TABLE "recontact_work" ALTER COLUMN "points" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "recontact_work" ADD COLUMN "first_ticket_id" bigint;--> statement-breakpoint
ALTER TABLE "recontact_work" ADD COLUMN "last_ticket_id" bigint;--> statement-breakpoint
ALTER TABLE "recontact_work" ADD CONSTRAINT "recontact_work_one_kind_check" CHECK (("recontact_work"."points" is null) = ("recontact_work"."first_ticket_id" is not null and "recontact_work"."last_ticket_id" is not null));