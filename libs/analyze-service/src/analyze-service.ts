import { LruMap, NotFoundError, errorMessage } from '@x0/core';
import { createEventConsumer } from '@x0/bus';
import { AnalyzeServiceService, EVENT_CODECS, eventSubject, type AnalyzeServiceServer, type Anomaly, type Diagnosis } from '@x0/contracts';
import { envInt, type Logger, type ServiceModule } from '@x0/service-kit';
import { diagnose, NO_EVIDENCE, type Evidence } from './diagnose';

/** Where analyze gets evidence for a diagnosis (similar incidents, runbooks). */
export interface EvidenceProvider {
  gather(anomaly: Anomaly): Promise<Evidence>;
}

export const analyzeConfigShape = {
  /** Diagnoses kept in memory for Explain. */
  ANALYZE_EXPLAIN_CACHE: envInt(10_000, 1, 1_000_000),
};

/**
 * Builds the analyze service. `evidence` (optional) supplies similar incidents and runbook
 * passages; without it diagnoses come from the anomaly's metrics alone.
 */
export function createAnalyzeService(evidence?: (ctx: { logger: Logger }) => EvidenceProvider | Promise<EvidenceProvider>): ServiceModule<typeof analyzeConfigShape> {
  return {
    name: 'analyze',
    configShape: analyzeConfigShape,
    async create(ctx) {
      const recent = new LruMap<string, Diagnosis>(ctx.config.ANALYZE_EXPLAIN_CACHE);
      const provider = evidence ? await evidence({ logger: ctx.logger }) : undefined;
      const consumer = createEventConsumer({
        bus: ctx.bus,
        service: 'analyze',
        type: 'anomaly',
        ...ctx.consumerOptions,
        handle: async (anomaly) => {
          let ev = NO_EVIDENCE;
          if (provider) {
            try {
              ev = await provider.gather(anomaly);
            } catch (err) {
              // Knowledge down must not stop the loop: diagnose from the metrics and say so.
              ctx.logger.warn({ err: errorMessage(err), anomaly: anomaly.meta?.id }, 'evidence unavailable; diagnosing from metrics alone');
            }
          }
          const d = diagnose(anomaly, ev);
          recent.set(d.meta!.id, d);
          return { type: 'ok', outputs: [{ subject: eventSubject('diagnosis', d.meta!.component), data: EVENT_CODECS.diagnosis.encode(d), id: d.meta!.id }] };
        },
      });
      ctx.serve<AnalyzeServiceServer>('x0.v1.AnalyzeService', AnalyzeServiceService, {
        getStatistics: () => ctx.stats.toProto(),
        explain: (req) => {
          const d = recent.get(req.diagnosisId);
          if (!d) throw new NotFoundError('diagnosis', req.diagnosisId);
          return d;
        },
      });
      return { start: () => consumer.start(), stop: () => consumer.stop() };
    },
  };
}
