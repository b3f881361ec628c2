/**
 * What the services need when the deployment runs NATS in operator mode (EDGEWATT_NATS_AUTH=jwt): the box that
 * opens the seeds stored in the database, and a way to push a re-issued account JWT to the NATS servers. Null
 * everywhere when NATS runs without auth.
 */
import type { SecretBox } from "@edgewatt/db";

export interface NatsAuth {
  box: SecretBox;
  /** Sends an updated application account JWT to the servers (over a system-account connection). */
  pushAccountJwt(accountJwt: string): Promise<void>;
}
