/**
 * @edgewatt/db: connections, migrations, the embedded server and the query functions services use.
 * Tables live in `@edgewatt/db/schema`; throwaway test databases in `@edgewatt/db/testing`.
 */
export * from "./client";
export * from "./embedded";
export * from "./env";
export * from "./errors";
export * from "./ids";
export * from "./migrate";
export * from "./queries/audit";
export * from "./queries/deployments";
export * from "./queries/devices";
export * from "./queries/groups";
export * from "./queries/jobs";
export * from "./queries/models";
export * from "./queries/nats-auth";
export * from "./queries/orgs";
export * from "./queries/policies";
export * from "./queries/reports";
export * from "./queries/rollouts";
export * from "./queries/team";
export * from "./queries/telemetry";
export * from "./queries/tokens";
export * from "./queries/users";
export * from "./queries/variants";
export * from "./secret-box";
