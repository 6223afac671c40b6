-- Subscribe requests counted per client, mailbox and in all, per fixed window (rate limits).
CREATE TABLE "status_subscribe_counts" (
	"bucket" text NOT NULL,
	"window_start" timestamp with time zone NOT NULL,
	"hits" integer NOT NULL,
	CONSTRAINT "status_subscribe_counts_bucket_window_start_pk" PRIMARY KEY("bucket","window_start")
);
