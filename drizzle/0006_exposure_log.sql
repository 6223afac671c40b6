CREATE TABLE "exposure_log" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "exposure_log_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"account_id" text NOT NULL,
	"channel" text NOT NULL,
	"seen_at" timestamp with time zone NOT NULL,
	"treated" jsonb NOT NULL,
	"held_out" jsonb NOT NULL
);
