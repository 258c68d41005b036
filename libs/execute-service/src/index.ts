export { executeService } from './execute-service';
export { executeConfigShape, DEFAULT_EXECUTOR_CONFIG, loadExecutorConfig, executorOffer, type ExecutorOffer } from './execute-config';
export { ExecuteRuntime, type ExecuteRuntimeOptions, type ExecuteCounts } from './execute-runtime';
export { Verifier, VERIFICATIONS_BUCKET, isHealthy, type VerifierOptions } from './verifier';
export { ApprovalDesk, APPROVALS_BUCKET, type ApprovalDeskOptions } from './approval-desk';
export { ActionCatalog, type ActionCatalogOptions } from './action-catalog';
export { KvIdempotencyStore, EXECUTED_BUCKET } from './kv-idempotency-store';
export { buildActionResult, buildOutcome, buildApproval, immediateOutcome, type ActionReport, type OutcomeReport } from './events';
