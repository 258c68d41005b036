import { createEventConsumer } from '@x0/bus';
import { KnowledgeServiceService, Verdict, type KnowledgeServiceServer } from '@x0/contracts';
import { PolicyStatsStore } from '@x0/policy-stats';
import { envInt, type ServiceModule } from '@x0/service-kit';
import { IncidentStore, incidentFromOutcome } from './incident-store';

export const knowledgeConfigShape = {
  /** Incidents kept in memory for ListIncidents (all are in KV). */
  KNOWLEDGE_INCIDENT_INDEX: envInt(10_000, 1, 10_000_000),
};

/**
 * The knowledge service: on every Outcome it records the incident (KV) and counts the
 * outcome in the policy statistics that plan ranks with.
 */
export const knowledgeService: ServiceModule<typeof knowledgeConfigShape> = {
  name: 'knowledge',
  configShape: knowledgeConfigShape,
  async create(ctx) {
    const incidents = await IncidentStore.open(ctx.bus, ctx.config.KNOWLEDGE_INCIDENT_INDEX);
    const stats = await PolicyStatsStore.open(ctx.bus);
    ctx.stats.addGauge('knowledge_incidents_indexed', 'Incidents in the in-memory index', () => incidents.size);
    const consumer = createEventConsumer({
      bus: ctx.bus,
      service: 'knowledge',
      type: 'outcome',
      ...ctx.consumerOptions,
      handle: async (outcome) => {
        const incident = incidentFromOutcome(outcome);
        await incidents.put(incident);
        const ctxInc = outcome.incident!;
        // Dry runs and failed actions say nothing about whether a policy heals a component.
        if (ctxInc.policyId && (outcome.verdict === Verdict.VERDICT_RECOVERED || outcome.verdict === Verdict.VERDICT_NOT_RECOVERED)) {
          await stats.record({ policyId: ctxInc.policyId, action: ctxInc.action, component: ctxInc.component, recovered: outcome.recovered, timeMs: outcome.meta!.timeMs });
        }
        return { type: 'ok' };
      },
    });
    ctx.serve<KnowledgeServiceServer>('x0.v1.KnowledgeService', KnowledgeServiceService, {
      getStatistics: () => ctx.stats.toProto(),
      getIncident: (req) => incidents.get(req.id),
      listIncidents: (req) => ({ incidents: incidents.list(req.component, req.limit > 0 ? Math.min(req.limit, 1000) : 50) }),
      getPolicyStats: async (req) => ({ stats: await stats.list(req.component) }),
      search: () => {
        throw new Error('search is not available yet');
      },
      ingestDocument: () => {
        throw new Error('ingest is not available yet');
      },
    });
    return {
      start: async () => {
        const loaded = await incidents.start();
        ctx.logger.info({ incidents: loaded }, 'incident index loaded');
        await consumer.start();
      },
      stop: async () => {
        await consumer.stop();
        incidents.stop();
      },
    };
  },
};
