import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { InvalidArgumentError, errorMessage } from '@x0/core';
import { parseExecutorConfig, type ExecutorRegistry, type ExecutorRegistryConfig } from '@x0/executors';
import { envBool, envInt, envNumber } from '@x0/service-kit';
import { parse as parseYaml } from 'yaml';

/** Environment variables of the execute service (besides the common ones in @x0/service-kit). */
export const executeConfigShape = {
  /** Executor allowlist (YAML); unset: `agent` (NATS agent) and `dry-run` (docs/execute-service.md). */
  EXECUTE_CONFIG_FILE: z.string().trim().default(''),
  /** How long after an action the component has to recover (seconds; fractions allowed). */
  EXECUTE_VERIFY_WINDOW_S: envNumber(30, 0.05, 86_400),
  /** How long a recovered component must stay healthy before the outcome says recovered (seconds). */
  EXECUTE_VERIFY_HOLD_S: envNumber(10, 0, 86_400),
  /** Deadline of one action (executor call), ms. */
  EXECUTE_ACTION_TIMEOUT_MS: envInt(30_000, 100, 3_600_000),
  /** A plan held for approval expires (is rejected by `system`) after this many seconds. */
  EXECUTE_APPROVAL_TIMEOUT_S: envNumber(900, 0.05, 30 * 86_400),
  /**
   * A plan held for approval whose incident ends before anyone decides is withdrawn (decision
   * `withdrawn` by `system`); false: it waits for an operator or its expiry (an approval then
   * skips it), for audit regimes that want a person to close every request.
   */
  EXECUTE_WITHDRAW_ENDED: envBool(true),
  /** Plans older than this are not executed (acked and counted); 0 = no limit. */
  EXECUTE_MAX_PLAN_AGE_S: envInt(300, 0, 30 * 86_400),
  /** Wait for an agent's answer to action discovery, ms. */
  EXECUTE_DISCOVERY_TIMEOUT_MS: envInt(2000, 50, 60_000),
  /** A component's action list older than this is asked for again when the component shows up. */
  EXECUTE_ACTIONS_REFRESH_S: envInt(600, 1, 30 * 86_400),
  /** How long idempotency keys (what was executed) are remembered in KV x0_executed; a changed value is applied to the existing bucket. */
  EXECUTE_IDEMPOTENCY_TTL_S: envInt(7 * 86_400, 60, 365 * 86_400),
  /** Set scale_up/throttle parameters from the action-params champion (+ the component's LoRA adapter), docs/trainer.md. */
  EXECUTE_ADVISE_PARAMS: envBool(true),
};

/** The executors when EXECUTE_CONFIG_FILE is unset: every action through the component's agent, plus a dry-run executor. */
export const DEFAULT_EXECUTOR_CONFIG = {
  executors: {
    agent: { type: 'nats_agent', timeout_ms: 5000 },
    'dry-run': { type: 'dry_run' },
  },
} as const;

/**
 * Reads and validates the executor configuration (YAML or JSON, see
 * docs/execute-service.md); the default configuration when `file` is ''. Throws
 * InvalidArgumentError naming the file and the field.
 */
export async function loadExecutorConfig(file: string, cwd = process.cwd()): Promise<ExecutorRegistryConfig> {
  if (!file) return parseExecutorConfig(DEFAULT_EXECUTOR_CONFIG);
  const full = path.resolve(cwd, file);
  let doc: unknown;
  try {
    doc = parseYaml(await fs.readFile(full, 'utf8'), { uniqueKeys: true });
  } catch (err) {
    throw new InvalidArgumentError('EXECUTE_CONFIG_FILE', `cannot read ${full}: ${errorMessage(err).split('\n')[0]}`, { cause: err });
  }
  try {
    return parseExecutorConfig(doc);
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw new InvalidArgumentError(err.field, `${err.message.replace(/^'[^']*' /, '')} (in ${full})`, { cause: err });
    throw err;
  }
}

/** Which actions the configured executors offer besides agents, and how agents are restricted. */
export interface ExecutorOffer {
  /** Actions of webhook and Kubernetes executors that list them: possible on any component. */
  configActions: string[];
  /** Union of the nats_agent executors' allowlists; undefined when one allows whatever its agent accepts. */
  agentAllowlist?: ReadonlySet<string>;
  /** Whether any nats_agent executor is configured (agent-advertised actions are usable). */
  agents: boolean;
}

/** What the registry's executors offer (for the component action lists). */
export function executorOffer(registry: ExecutorRegistry): ExecutorOffer {
  const configActions = new Set<string>();
  const allow = new Set<string>();
  let unrestricted = false;
  let agents = false;
  for (const name of registry.names()) {
    const e = registry.get(name);
    if (e.type === 'nats_agent') {
      agents = true;
      if (e.actions) for (const a of e.actions) allow.add(a);
      else unrestricted = true;
    } else if (e.type !== 'dry_run' && e.actions) for (const a of e.actions) configActions.add(a);
  }
  return { configActions: [...configActions].sort(), agentAllowlist: unrestricted ? undefined : allow, agents };
}
