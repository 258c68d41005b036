import { errorMessage, InvalidArgumentError } from '@x0/core';
import { publishMessage } from '@x0/bus';
import { EVENT_CODECS, ExecutorServiceService, eventSubject, type ExecutorServiceServer } from '@x0/contracts';
import { advisePlan, RegistryActionParamsAdvisor } from '@x0/action-params';
import { ComponentActionsStore } from '@x0/component-actions';
import { createExecutorRegistry } from '@x0/executors';
import { createModelRegistry } from '@x0/model-registry';
import { InferenceReporter, swapLogFields } from '@x0/model-serving';
import { selectBackend } from '@x0/lora';
import type { ServiceModule } from '@x0/service-kit';
import { ActionCatalog } from './action-catalog';
import { ApprovalDesk } from './approval-desk';
import { executeConfigShape, executorOffer, loadExecutorConfig } from './execute-config';
import { ExecuteRuntime } from './execute-runtime';
import { KvIdempotencyStore } from './kv-idempotency-store';
import { Verifier } from './verifier';

/**
 * The execute service: carries out dispatched plans through the executor allowlist (at most
 * once per idempotency key), verifies that the component recovered and publishes the
 * Outcome; holds high-risk plans for an operator's approval; keeps the component action
 * lists the plan service ranks with. See docs/execute-service.md.
 */
export const executeService: ServiceModule<typeof executeConfigShape> = {
  name: 'execute',
  configShape: executeConfigShape,
  async create(ctx) {
    const c = ctx.config;
    const partition = c.X0_PARTITIONS > 1 ? { index: c.X0_PARTITION_INDEX, count: c.X0_PARTITIONS } : undefined;
    const executorConfig = await loadExecutorConfig(c.EXECUTE_CONFIG_FILE);
    const idempotency = await KvIdempotencyStore.open(ctx.bus, c.EXECUTE_IDEMPOTENCY_TTL_S * 1000);
    const registry = createExecutorRegistry(executorConfig, { nc: ctx.bus.nc, env: process.env, idempotency: { store: idempotency } });
    ctx.logger.info({ executors: registry.names().map((n) => `${n} (${registry.get(n).type})`) }, 'executor allowlist loaded');

    const catalog = new ActionCatalog({
      bus: ctx.bus,
      store: await ComponentActionsStore.open(ctx.bus),
      offer: executorOffer(registry),
      logger: ctx.logger,
      discoveryTimeoutMs: c.EXECUTE_DISCOVERY_TIMEOUT_MS,
      refreshMs: c.EXECUTE_ACTIONS_REFRESH_S * 1000,
    });
    const verifier = new Verifier({
      bus: ctx.bus,
      logger: ctx.logger,
      windowMs: c.EXECUTE_VERIFY_WINDOW_S * 1000,
      holdMs: c.EXECUTE_VERIFY_HOLD_S * 1000,
      partition,
      onComponent: (component) => catalog.notice(component),
      publish: async (outcome) => {
        await publishMessage(ctx.bus.js, { subject: eventSubject('outcome', outcome.meta!.component), data: EVENT_CODECS.outcome.encode(outcome), id: outcome.meta!.id });
        ctx.stats.published(1);
      },
    });
    const ref: { runtime?: ExecuteRuntime } = {};
    const approvals = new ApprovalDesk({
      bus: ctx.bus,
      logger: ctx.logger,
      timeoutS: c.EXECUTE_APPROVAL_TIMEOUT_S,
      onDecision: (plan, audit, heldMs) => ref.runtime!.onDecision(plan, audit, heldMs),
      // a plan whose incident ended while it waited is withdrawn (an approval would skip it anyway)
      incidentEnded: c.EXECUTE_WITHDRAW_ENDED ? (component, incidentId, sinceMs) => verifier.incidentEnded(component, incidentId, sinceMs) : undefined,
    });
    // Action parameters from the model registry's champion, hot-swapped on promotion/rollback (docs/trainer.md).
    const backend = c.EXECUTE_ADVISE_PARAMS ? await selectBackend() : '';
    const advisor = c.EXECUTE_ADVISE_PARAMS
      ? new RegistryActionParamsAdvisor({
          registry: await createModelRegistry({ nc: ctx.bus.nc, source: 'execute' }),
          onSwap: (i) => {
            ctx.logger.info(swapLogFields(i), 'action-params model swapped in');
            if (i.model === 'action-params') ctx.stats.setModel({ name: i.model, version: i.version, backend });
          },
          onError: (err) => ctx.logger.warn({ err: errorMessage(err) }, 'action-params advisor'),
        })
      : undefined;
    const reporter = new InferenceReporter({ nc: ctx.bus.nc, service: 'execute', instance: c.X0_INSTANCE });
    const rt = new ExecuteRuntime({
      bus: ctx.bus,
      logger: ctx.logger,
      stats: ctx.stats,
      registry,
      verifier,
      approvals,
      catalog,
      actionTimeoutMs: c.EXECUTE_ACTION_TIMEOUT_MS,
      maxPlanAgeMs: c.EXECUTE_MAX_PLAN_AGE_S * 1000,
      consumer: ctx.consumerOptions,
      // (within what the plan's executor accepts: a Kubernetes executor refuses a delta beyond its max_step)
      advise: advisor ? (plan) => advisePlan(advisor, plan, reporter, registry.paramLimits(plan.executor, plan.action)) : undefined,
    });
    ref.runtime = rt;

    ctx.stats.addGauge('execute_pending_verifications', 'Actions being verified', () => verifier.pending);
    ctx.stats.addGauge('execute_pending_approvals', 'Plans waiting for an operator', () => approvals.pending().length);
    ctx.stats.addGauge('execute_components_with_actions', 'Components whose actions are known', () => catalog.size);
    for (const k of ['executed', 'dry_run', 'failed', 'held', 'stale', 'ignored'] as const) {
      ctx.stats.addGauge(`execute_${k}`, `Plans ${k.replace('_', ' ')} since start`, () => rt.counts[k]);
    }

    ctx.serve<ExecutorServiceServer>('x0.v1.ExecutorService', ExecutorServiceService, {
      getStatistics: () => ctx.stats.toProto(),
      listActions: async (req) => {
        let list = catalog.list().filter((r) => !req.component || r.component === req.component);
        if (req.component && list.length === 0) {
          const found = await catalog.discover(req.component);
          list = found ? [found] : [];
        }
        return { components: list.map((r) => ({ component: r.component, actions: r.actions, source: r.source, updatedMs: r.updatedMs })), executors: registry.names() };
      },
      listPending: () => ({
        pending: approvals.pending().map((p) => ({ planId: p.planId, component: p.component, action: p.action, requestedMs: p.requestedMs, expiresMs: p.expiresMs, reason: p.reason })),
      }),
      approve: async (req) => ({ planId: req.planId, status: (await approvals.decide(planId(req.planId), 'approved', { actor: req.actor, reason: req.reason })).decision }),
      reject: async (req) => ({ planId: req.planId, status: (await approvals.decide(planId(req.planId), 'rejected', { actor: req.actor, reason: req.reason })).decision }),
    });

    return {
      start: async () => {
        await catalog.start();
        await verifier.start();
        const held = await approvals.start();
        if (held > 0) ctx.logger.info({ held }, 'plans awaiting approval restored');
        await advisor?.start();
        reporter.start();
        await rt.start();
      },
      stop: async () => {
        await rt.stop();
        reporter.stop();
        await advisor?.stop();
        approvals.stop();
        verifier.stop();
        catalog.stop();
      },
    };
  },
};

function planId(id: string): string {
  if (!id) throw new InvalidArgumentError('plan_id', 'must be non-empty');
  return id;
}

