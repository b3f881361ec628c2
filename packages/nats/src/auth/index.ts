/**
 * @edgewatt/nats/auth: per-device NATS credentials in operator (decentralized JWT) mode. Key and JWT
 * material only; where it is stored and when it is pushed is the caller's business (web, launcher).
 */
export * from "./accounts";
export * from "./keys";
export * from "./permissions";
export * from "./rotation";
export * from "./server-config";
export * from "./users";
