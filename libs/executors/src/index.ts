export { DryRunExecutor, describeRequest, type DryRunExecutorOptions } from './dry-run-executor';
export {
  ExecutorRegistry,
  createExecutorRegistry,
  type DispatchRequest,
  type DispatchResult,
  type ExecutorDeps,
  type ExecutorRegistryOptions,
} from './executor-registry';
export {
  IdempotencyGuard,
  MemoryIdempotencyStore,
  type GuardedResult,
  type IdempotencyGuardOptions,
  type IdempotencyRecord,
  type IdempotencyStore,
} from './idempotency';
export {
  KubernetesExecutor,
  RESTARTED_AT_ANNOTATION,
  type KubeconfigSource,
  type KubernetesExecutorOptions,
  type KubernetesOperation,
} from './kubernetes-executor';
export {
  IDEMPOTENCY_HEADER,
  NatsAgentExecutor,
  agentReplySchema,
  discoverActions,
  type AgentRequest,
  type NatsAgentExecutorOptions,
} from './nats-agent-executor';
export { parseExecutorConfig, type ExecutorConfig, type ExecutorRegistryConfig } from './registry-config';
// The subject helpers now live in @x0/contracts; re-exported for existing callers.
export { ACTIONS_TOKEN, agentActionsSubject, agentSubject, subjectToken } from '@x0/contracts';
export type { ExecutionRequest, ExecutionResult, Executor, ParamLimits } from './types';
export { WebhookExecutor, type WebhookBody, type WebhookExecutorOptions } from './webhook-executor';
export { SIGNATURE_HEADER, TIMESTAMP_HEADER, WEBHOOK_IDEMPOTENCY_HEADER, signWebhookBody, verifyWebhookSignature } from './webhook-signature';
