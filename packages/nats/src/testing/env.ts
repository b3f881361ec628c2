/** The environment the test helpers read (the only place in this package that reads process.env). */
import { z } from "zod";

const ZTestingEnv = z.object({
  /** nats-server to start (a path, or a name looked up on PATH). */
  NATS_SERVER_BIN: z.string().min(1).default("nats-server"),
  PATH: z.string().default(""),
});

export function testingEnv(): z.infer<typeof ZTestingEnv> {
  return ZTestingEnv.parse({
    NATS_SERVER_BIN: process.env.NATS_SERVER_BIN || undefined,
    PATH: process.env.PATH,
  });
}
