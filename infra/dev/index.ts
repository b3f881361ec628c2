export { waitForHttp } from "./children";
export { type LauncherEnv, readLauncherEnv } from "./env";
export { type Stack, type StackOptions, startStack } from "./stack";
