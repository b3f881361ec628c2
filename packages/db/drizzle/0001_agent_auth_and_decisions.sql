CREATE TABLE "nats_auth" (
	"id" text PRIMARY KEY DEFAULT 'default' NOT NULL,
	"operator_public_key" text NOT NULL,
	"operator_seed_sealed" text NOT NULL,
	"operator_jwt" text NOT NULL,
	"system_account_public_key" text NOT NULL,
	"system_account_seed_sealed" text NOT NULL,
	"system_account_jwt" text NOT NULL,
	"account_public_key" text NOT NULL,
	"account_seed_sealed" text NOT NULL,
	"account_jwt" text NOT NULL,
	"account_jwt_version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "nats_auth_singleton_ck" CHECK ("nats_auth"."id" = 'default')
);
--> statement-breakpoint
CREATE TABLE "nats_user_revocations" (
	"user_public_key" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"device_id" text,
	"reason" text NOT NULL,
	"revoked_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "org_nats_signing_keys" (
	"org_id" text PRIMARY KEY NOT NULL,
	"public_key" text NOT NULL,
	"seed_sealed" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "telemetry_samples" ADD COLUMN "decision" jsonb;--> statement-breakpoint
ALTER TABLE "nats_user_revocations" ADD CONSTRAINT "nats_user_revocations_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "nats_user_revocations" ADD CONSTRAINT "nats_user_revocations_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "org_nats_signing_keys" ADD CONSTRAINT "org_nats_signing_keys_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "nats_user_revocations_org_idx" ON "nats_user_revocations" USING btree ("org_id");--> statement-breakpoint
CREATE UNIQUE INDEX "org_nats_signing_keys_public_key_uq" ON "org_nats_signing_keys" USING btree ("public_key");--> statement-breakpoint
CREATE UNIQUE INDEX "devices_nats_public_key_uq" ON "devices" USING btree ("nats_public_key");