/**
 * @edgewatt/engine/scheduler — the adaptive-precision scheduling policies (static, rule, learned), shared by the edge
 * agent, the fleet simulator and the policy trainer. Pure: no clock, network or database.
 */
export {
  type CreatePolicyOptions,
  type CreatePolicyResult,
  createPolicy,
  type PolicySource,
} from "./create-policy";
export {
  COST_BASES,
  type CostBasis,
  cheapestOn,
  costBasis,
  createLadderView,
  effectiveFidelity,
  type LadderView,
  sortByQuality,
} from "./ladder";
export {
  type FeatureState,
  LearnedPolicy,
  type LearnedPolicyOptions,
  learnedFeatureValue,
} from "./learned-policy";
export { RulePolicy, type RulePolicyOptions } from "./rule-policy";
export { StaticPolicy, type StaticPolicyOptions } from "./static-policy";
export { capThreads } from "./threads";
export type { LadderEntry, ObservedState, PolicyIdentity, SchedulerDecision, SchedulerPolicy } from "./types";
