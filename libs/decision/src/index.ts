export { DecisionEngine, checkEvidence, type Decision, type DecisionEngineOptions, type Ranking } from './decision-engine';
export {
  describeNotApplicable,
  type CandidateEvidence,
  type DecisionInput,
  type Explanation,
  type NotApplicable,
  type NotApplicableReason,
  type Observations,
  type RankedAlternative,
  type ScoredPolicy,
} from './explanation';
export { OutcomeStats, type OutcomeRecord, type StatsSnapshot, type Tally } from './outcome-stats';
export { SEVERITIES, WELL_KNOWN_ACTIONS, compileGlob, severityRank, type Policy, type PolicyConditions, type Severity } from './policy';
export {
  MAX_COOLDOWN_S,
  loadPolicyFile,
  parsePolicyFile,
  stringifyPolicyFile,
  toPolicyDocument,
  validatePolicy,
  validatePolicyDocument,
  validatePolicyFile,
  type PolicyCheckOptions,
  type PolicyDocument,
} from './policy-file';
export { misspeltCause, misspeltCauseMessage } from '@x0/contracts';
export {
  ApprovalRequests,
  describeRequest,
  shortAgo,
  type ApprovalRequest,
  type ApprovalRequestsOptions,
  type RequestDecision,
} from './approval-requests';
export { IncidentAttempts, describeAttempts, type AttemptSummary, type FailedAttempt, type FailedVerdict, type IncidentAttemptsOptions } from './incident-attempts';
export { DEFAULT_ATTEMPTS_RETENTION_MS, Planner, type PlanDecision, type PlanOutcome, type PlanRequest, type PlanStatus, type PlannerOptions } from './planner';
export { recency, resolveScoringConfig, scoringConfigSchema, type ScoringConfig, type ScoringConfigInput } from './scoring';
