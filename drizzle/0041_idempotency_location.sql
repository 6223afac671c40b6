-- Where a console form's redirect led, so a repeat of its submit is sent there too.
ALTER TABLE "idempotency_keys" ADD COLUMN "location" text;