export * from "./audit";
export * from "./auth";
export * from "./deployments";
export * from "./devices";
export * from "./ids";
export * from "./models";
export * from "./orgs";
export * from "./telemetry";
