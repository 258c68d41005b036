export { ApprovalQueue, refusedDecision, type ApprovalAudit, type ApprovalQueueOptions, type ApprovalRequest, type PendingApproval } from './approvals';
export { InFlightTracker } from './blast-radius';
export { CircuitBreaker, type BreakerCheck, type BreakerState, type CircuitBreakerOptions } from './circuit-breaker';
export { guardrailsConfigSchema, resolveGuardrailsConfig, type GuardrailsConfig, type GuardrailsConfigInput } from './config';
export { Guardrails, type GuardrailsOptions, type GuardrailsStatus } from './guardrails';
export { SlidingWindowLimiter } from './rate-limiter';
export { StabilisationTracker, type StabilisationCheck, type StabilisationSettings } from './stabilisation';
export {
  RISKS,
  checkLine,
  formatDuration,
  riskRank,
  type AdmittedAction,
  type CheckScope,
  type DecisionContext,
  type GuardrailCheck,
  type GuardrailOutcome,
  type GuardrailVerdict,
  type GuardrailsHistory,
  type RecordedAnomaly,
  type RecordedOutcome,
  type Risk,
  type Verdict,
} from './types';
