export { planService } from './plan-service';
export { planConfigShape, checkExplainTtl, loadGuardrailsConfig, mergeDeep, SERVICE_GUARDRAIL_DEFAULTS } from './plan-config';
export { PlanRuntime, DecisionClock, type PlanRuntimeOptions, type PlanCounts } from './plan-runtime';
export { buildPlan, planRequest, explanationToProto, candidateEvidence, decisionSeverity, idempotencyKey, type PlanInputs } from './plan-builder';
export { PolicyStore, POLICIES_BUCKET } from './policy-store';
export { PlanStore, PLANS_BUCKET } from './plan-store';
export { policyFromProto, policyToProto } from './policy-proto';
export { StatsFeed, tallyFromProto, type StatsFeedOptions } from './stats-feed';
