export type { NatsConnection } from "@nats-io/transport-node";
export * from "./connect";
export * from "./consume";
export * from "./deploy";
export * from "./errors";
export * from "./logger";
export * from "./objects";
export * from "./resources";
