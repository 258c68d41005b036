/** Test helpers for the execute service: plans to feed it, a scripted agent, monitor statuses, reading events. */
import type { NatsConnection } from '@nats-io/transport-node';
import { deriveId } from '@x0/core';
import { COMPONENT_HEALTH_CODEC, Plan, PlanStatus, Severity, agentAnnounceSubject, statusSubject } from '@x0/contracts';

/** A valid Plan for `component` (ids derived from `anomalyId`). */
export function makePlan(
  component: string,
  o: { action?: string; status?: PlanStatus; dryRun?: boolean; executor?: string; anomalyId?: string; policyId?: string; timeMs?: number; guardrails?: string[] } = {},
): Plan {
  const anomalyId = o.anomalyId ?? deriveId('an', component, Math.random());
  const action = o.action ?? 'restart';
  const diagnosisId = deriveId('dg', anomalyId);
  const id = deriveId('pl', diagnosisId);
  const policyId = o.policyId ?? `p-${action}`;
  return Plan.fromPartial({
    meta: { id, parentId: diagnosisId, component, timeMs: o.timeMs ?? Date.now(), source: 'plan' },
    incident: { anomalyId, incidentId: anomalyId, component, kind: 'web', severity: Severity.SEVERITY_HIGH, cause: 'cpu_saturation', diagnosisId, planId: id, policyId, action, detectedMs: Date.now() },
    status: o.status ?? PlanStatus.PLAN_STATUS_DISPATCH,
    policyId,
    action,
    params: { delta: '1' },
    dryRun: o.dryRun ?? false,
    idempotencyKey: `${anomalyId}:${action}`,
    executor: o.executor ?? 'agent',
    explanation: { summary: 'test plan', ranking: [], guardrails: o.guardrails ?? [], evidence: [] },
  });
}

/** A scripted agent for one component: answers action requests with `reply(action)`; records them. */
export interface TestAgent {
  readonly received: Array<{ action: string; idempotencyKey: string }>;
  /** Publishes the agent's advertisement (`{"actions": [...]}`), as a real agent does at start. */
  announce(): void;
  stop(): void;
}

/** Starts a TestAgent; discovery requests are answered with the handlers' names. */
export function startTestAgent(nc: NatsConnection, component: string, handlers: Record<string, () => { ok: boolean; message?: string }>): TestAgent {
  const received: TestAgent['received'] = [];
  const sub = nc.subscribe(`x0.agents.${component}.*`, {
    callback: (err, msg) => {
      if (err || !msg.reply) return;
      const action = msg.subject.split('.')[3];
      if (action === 'actions') {
        msg.respond(JSON.stringify({ actions: Object.keys(handlers) }));
        return;
      }
      received.push({ action, idempotencyKey: msg.json<{ idempotencyKey: string }>().idempotencyKey });
      msg.respond(JSON.stringify(handlers[action] ? handlers[action]() : { ok: false, message: `unknown action ${action}` }));
    },
  });
  return {
    received,
    announce: () => nc.publish(agentAnnounceSubject(component), JSON.stringify({ actions: Object.keys(handlers) })),
    stop: () => sub.unsubscribe(),
  };
}

/**
 * Publishes a ComponentHealth like the monitor: an open incident (unhealthy; its latest
 * announcement `openAnomalyId`, which also opened it) or none (healthy).
 */
export function publishStatus(nc: NatsConnection, component: string, openAnomalyId: string): void {
  nc.publish(
    statusSubject(component),
    COMPONENT_HEALTH_CODEC.encode({
      component,
      timeMs: Date.now(),
      score: openAnomalyId ? 0.95 : 0.1,
      severity: openAnomalyId ? Severity.SEVERITY_HIGH : Severity.SEVERITY_UNSPECIFIED,
      phase: 'scoring',
      openAnomalyId,
      openIncidentId: openAnomalyId,
    }),
  );
}

export { publishEvent, readEvents, waitFor } from '@x0/bus/testing';
