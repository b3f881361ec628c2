export * from "./codec";
export * from "./enums";
export * from "./errors";
export * from "./messages";
export * from "./names";
export * from "./policy";
