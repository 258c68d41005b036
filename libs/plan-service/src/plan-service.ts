import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, NotFoundError, errorMessage } from '@x0/core';
import { PlanStatus as PlanStatusProto, PlannerServiceService, Severity as SeverityProto, isSubjectToken, type PlannerServiceServer } from '@x0/contracts';
import { ComponentActionsStore, type BucketWatch } from '@x0/component-actions';
import { DecisionEngine, loadPolicyFile, misspeltCause, misspeltCauseMessage, type Policy } from '@x0/decision';
import { Guardrails } from '@x0/guardrails';
import { PolicyStatsStore } from '@x0/policy-stats';
import type { ServiceModule } from '@x0/service-kit';
import { candidateEvidence, decisionSeverity, explanationToProto, validateCandidates } from './plan-builder';
import { checkExplainTtl, loadGuardrailsConfig, planConfigShape } from './plan-config';
import { DecisionClock, PlanRuntime } from './plan-runtime';
import { policyFromProto, policyToProto } from './policy-proto';
import { PlanStore } from './plan-store';
import { PolicyStore } from './policy-store';
import { StatsFeed } from './stats-feed';

/**
 * The plan service: ranks the policies for every diagnosis, walks the ranking through the
 * guardrails and publishes the explained Plan. Policies live in JetStream KV (seeded from
 * PLAN_POLICY_FILE, hot-reloaded on every replica); statistics come from the policy-stats
 * bucket knowledge writes; what each component can do comes from the component-actions
 * bucket execute writes. See docs/plan-service.md.
 */
export const planService: ServiceModule<typeof planConfigShape> = {
  name: 'plan',
  configShape: planConfigShape,
  async create(ctx) {
    const c = ctx.config;
    const guardrailsConfig = await loadGuardrailsConfig(c.PLAN_GUARDRAILS_FILE, { dryRun: c.PLAN_DRY_RUN });
    checkExplainTtl(c.PLAN_EXPLAIN_TTL_S, guardrailsConfig);
    const clock = new DecisionClock();
    const engine = new DecisionEngine({ clock: clock.now });
    const guardrails = new Guardrails({ config: guardrailsConfig, clock: clock.now });
    const runtime = new PlanRuntime({
      bus: ctx.bus,
      logger: ctx.logger,
      stats: ctx.stats,
      engine,
      guardrails,
      clock,
      explainCache: c.PLAN_EXPLAIN_CACHE,
      store: await PlanStore.open(ctx.bus, c.PLAN_EXPLAIN_TTL_S * 1000),
      maxDiagnosisAgeMs: c.PLAN_MAX_DIAGNOSIS_AGE_S * 1000,
      // A slot held for approval lasts up to approval.timeoutS: a late rejection may still free it.
      maxFeedbackAgeMs: Math.max(guardrailsConfig.blastRadius.inFlightTimeoutS, guardrailsConfig.approval.timeoutS) * 1000,
      consumer: ctx.consumerOptions,
    });

    const policies = await PolicyStore.open(ctx.bus);
    const seedFile = path.resolve(c.PLAN_POLICY_FILE);
    if (await policies.isNew()) {
      if (fs.existsSync(seedFile)) {
        const written = await policies.seed(await loadPolicyFile(seedFile));
        ctx.logger.info({ file: seedFile, written }, 'policy bucket was empty: seeded from the policy file');
      } else {
        ctx.logger.warn({ file: seedFile }, 'policy bucket is empty and the policy file does not exist: no policy applies until one is added');
      }
    }
    const statsStore = await PolicyStatsStore.open(ctx.bus);
    const statsFeed = new StatsFeed({
      store: statsStore,
      debounceMs: c.PLAN_STATS_DEBOUNCE_MS,
      apply: (snapshot) => engine.importStats(snapshot),
      onError: (err) => ctx.logger.warn({ err: errorMessage(err) }, 'policy statistics not applied'),
    });
    const actionsStore = await ComponentActionsStore.open(ctx.bus);
    const watches: BucketWatch[] = [];

    const cap = c.PLAN_MAX_COOLDOWN_S;
    const applyPolicies = (list: Policy[]) => {
      try {
        engine.setPolicies(cap > 0 ? list.map((p) => ({ ...p, cooldownS: Math.min(p.cooldownS, cap) })) : list);
        ctx.logger.info({ policies: list.length, enabled: list.filter((p) => p.enabled).length, ...(cap > 0 ? { cooldownCapS: cap } : {}) }, 'policies loaded');
      } catch (err) {
        ctx.logger.error({ err: errorMessage(err) }, 'policy set refused; keeping the previous one');
      }
    };

    ctx.stats.addGauge('plan_policies', 'Policies in force', () => engine.policies().length);
    ctx.stats.addGauge('plan_components_with_actions', 'Components whose available actions are known', () => runtime.componentsWithActions);
    ctx.stats.addGauge('plan_recent_plans', 'Plans kept for Explain', () => runtime.recentCount);
    for (const status of ['dispatch', 'pending_approval', 'blocked', 'no_action', 'stale'] as const) {
      ctx.stats.addGauge(`plan_${status}`, `Diagnoses planned with status ${status} since start`, () => runtime.counts[status]);
    }
    ctx.stats.addGauge('plan_in_flight', 'Components with an admitted action and no outcome yet', () =>
      Object.values(guardrails.status().inFlight).reduce((a, b) => a + b, 0),
    );
    ctx.stats.addGauge('plan_open_breakers', 'Policy circuit breakers not closed', () => guardrails.status().breakers.length);
    ctx.stats.addGauge('plan_global_breaker_open', '1 when the global circuit breaker is open or half-open', () => (guardrails.status().globalBreaker === 'closed' ? 0 : 1));
    ctx.stats.addGauge('plan_dry_run', '1 when global dry-run is on', () => (guardrails.status().dryRun ? 1 : 0));
    // `x0 policies` lists the stored cooldowns; this says they apply capped.
    ctx.stats.addGauge('plan_cooldown_cap_s', 'PLAN_MAX_COOLDOWN_S: every policy cooldown applies at most this long (0 = no cap)', () => cap);

    ctx.serve<PlannerServiceServer>('x0.v1.PlannerService', PlannerServiceService, {
      getStatistics: () => ctx.stats.toProto(),
      explain: async (req) => {
        const plan = await runtime.plan(req.planId);
        // A plan that waited for an operator: with the decision, once there is one.
        if (plan?.status === PlanStatusProto.PLAN_STATUS_PENDING_APPROVAL) return { ...plan, approval: await runtime.approval(plan.meta!.id) };
        if (plan) return plan;
        throw new NotFoundError('plan', req.planId, {
          hint: `plans are kept for ${durationText(c.PLAN_EXPLAIN_TTL_S)} (PLAN_EXPLAIN_TTL_S); x0 audit shows an older plan's explanation from the event log`,
        });
      },
      listPolicies: async () => ({ policies: (await policies.list()).map(policyToProto) }),
      upsertPolicy: async (req) => policyToProto(await policies.upsert(policyFromProto(req.policy))),
      setPolicyEnabled: async (req) => policyToProto(await policies.setEnabled(req.id, req.enabled)),
      deletePolicy: async (req) => policyToProto(await policies.remove(req.id)),
      rank: (req) => {
        if (!req.component) throw new InvalidArgumentError('component', 'must be non-empty');
        if (!isSubjectToken(req.component)) throw new InvalidArgumentError('component', `must be a component name (no spaces, '.', '*' or '>'), got ${JSON.stringify(req.component)}`);
        if (req.severity === SeverityProto.SEVERITY_UNSPECIFIED) throw new InvalidArgumentError('severity', 'must be low, medium or high');
        // A typo would rank as a cause no policy names: "no action", as if nothing applied.
        const near = misspeltCause(req.cause);
        if (near) throw new InvalidArgumentError('cause', misspeltCauseMessage(req.cause, near));
        validateCandidates(req.candidates);
        const decision = runtime.planner.preview({
          component: req.component,
          // As a real diagnosis of it would be: policies' kinds and the blast radius' group depend on it.
          kind: req.kind || runtime.kindOf(req.component),
          severity: decisionSeverity(req.severity),
          cause: req.cause,
          evidence: candidateEvidence(req.candidates),
          availableActions: runtime.availableActions(req.component),
        });
        const e = explanationToProto(decision.explanation);
        const act = `${decision.action}${decision.dryRun ? ' (dry run)' : ''}`;
        const what = { dispatch: `dispatch ${act}`, pending_approval: `hold ${act} for approval`, blocked: `block ${act}`, no_action: 'do nothing' }[decision.status];
        return { ...e, summary: `what-if (nothing done): would ${what}; ${e.summary}` };
      },
    });

    return {
      start: async () => {
        watches.push(await policies.watch(applyPolicies, (key, err) => ctx.logger.warn({ key, err: errorMessage(err) }, 'unreadable policy in the bucket; left out')));
        watches.push(
          await actionsStore.watch(
            (component, record) => runtime.setActions(component, record),
            (err) => ctx.logger.warn({ err: errorMessage(err) }, 'component actions entry ignored'),
          ),
        );
        await statsFeed.start();
        ctx.logger.info(
          { guardrails: { dryRun: guardrailsConfig.dryRun, stabilisation: guardrailsConfig.stabilisation, rateLimit: guardrailsConfig.rateLimit } },
          'plan ready',
        );
        await runtime.start();
      },
      stop: async () => {
        await runtime.stop();
        statsFeed.stop();
        for (const w of watches) w.stop();
      },
    };
  },
};

/** `7 days`, `36 hours`, `90 minutes`, `45 seconds`: the largest unit that divides `s` whole. */
function durationText(s: number): string {
  for (const [unit, n] of [['day', 86_400], ['hour', 3600], ['minute', 60]] as const) {
    if (s % n === 0) return `${s / n} ${unit}${s === n ? '' : 's'}`;
  }
  return `${s} seconds`;
}
