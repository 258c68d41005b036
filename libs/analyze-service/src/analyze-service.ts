import { asError, InvalidArgumentError, LruMap, NotFoundError, errorMessage } from '@x0/core';
import { createEventConsumer, type HandleResult } from '@x0/bus';
import { AnalyzeServiceService, EVENT_CODECS, eventSubject, type AnalyzeServiceServer, type Anomaly, type Diagnosis } from '@x0/contracts';
import { z } from 'zod';
import { envInt, type Logger, type ServiceModule } from '@x0/service-kit';
import { knowledgeEvidence } from './knowledge-evidence';
import { diagnose, EVIDENCE_UNAVAILABLE, NO_EVIDENCE, type Evidence } from './diagnose';

/** Where analyze gets evidence for a diagnosis (similar incidents, runbooks). */
export interface EvidenceProvider {
  gather(anomaly: Anomaly): Promise<Evidence>;
  /**
   * Evidence for several anomalies at once, in order: an Error in place of what could not be
   * gathered. Without it, `gather` is called for each, concurrently.
   */
  gatherMany?(anomalies: readonly Anomaly[]): Promise<Array<Evidence | Error>>;
  /** Releases what the provider holds (subscriptions) when the service stops. */
  close?(): void;
}

export const analyzeConfigShape = {
  /** Diagnoses kept in memory for Explain. */
  ANALYZE_EXPLAIN_CACHE: envInt(10_000, 1, 1_000_000),
  /** Where evidence comes from: the knowledge service over NATS, or none (metrics only). */
  ANALYZE_EVIDENCE: z.enum(['knowledge', 'none']).default('knowledge'),
  /** How long to wait for the knowledge service's evidence before diagnosing without it. */
  ANALYZE_EVIDENCE_TIMEOUT_MS: envInt(250, 1, 60_000),
};

/**
 * Why Explain did not find a diagnosis, and where to look instead: only the newest ones made
 * since this instance started are kept (it said only "diagnosis 'x' not found").
 */
export function explainNotFoundHint(kept: number): string {
  return `analyze keeps the last ${kept} diagnoses it made since it started (ANALYZE_EXPLAIN_CACHE), and none with this id; x0 audit and x0 events --type diagnosis show older ones`;
}

/**
 * Builds the analyze service. Evidence (similar incidents, runbook passages) comes from the
 * knowledge service over NATS unless ANALYZE_EVIDENCE=none; `evidence` overrides the source
 * (tests). Without evidence, diagnoses come from the anomaly's metrics alone.
 */
export function createAnalyzeService(evidence?: (ctx: { logger: Logger }) => EvidenceProvider | Promise<EvidenceProvider>): ServiceModule<typeof analyzeConfigShape> {
  return {
    name: 'analyze',
    configShape: analyzeConfigShape,
    async create(ctx) {
      const recent = new LruMap<string, Diagnosis>(ctx.config.ANALYZE_EXPLAIN_CACHE);
      const provider = evidence
        ? await evidence({ logger: ctx.logger })
        : ctx.config.ANALYZE_EVIDENCE === 'knowledge'
          ? knowledgeEvidence(ctx.bus.nc, { timeoutMs: ctx.config.ANALYZE_EVIDENCE_TIMEOUT_MS })
          : undefined;
      let evidenceMisses = 0;
      ctx.stats.addGauge('analyze_evidence_misses', 'Diagnoses made without evidence because knowledge did not answer', () => evidenceMisses);
      const consumer = createEventConsumer({
        bus: ctx.bus,
        service: 'analyze',
        type: 'anomaly',
        ...ctx.consumerOptions,
        // The evidence for a whole batch is gathered at once (one request to knowledge per 64
        // anomalies), then each anomaly is diagnosed on its own.
        handleAll: async (deliveries) => {
          const anomalies = deliveries.map((d) => d.value);
          const evidence: Array<Evidence | Error> = !provider
            ? anomalies.map(() => NO_EVIDENCE)
            : provider.gatherMany
              ? await provider.gatherMany(anomalies)
              : await Promise.all(anomalies.map((a) => provider.gather(a).catch(asError)));
          // Per distinct failure: how many anomalies, and the first few ids (for the logs).
          const missed = new Map<string, string[]>();
          const results = anomalies.map((anomaly, i): HandleResult => {
            let ev = evidence[i];
            if (ev instanceof Error) {
              // Knowledge down must not stop the loop: diagnose from the metrics and say so.
              evidenceMisses++;
              const ids = missed.get(errorMessage(ev)) ?? [];
              ids.push(anomaly.meta?.id ?? '');
              missed.set(errorMessage(ev), ids);
              ev = EVIDENCE_UNAVAILABLE;
            }
            try {
              const d = diagnose(anomaly, ev);
              recent.set(d.meta!.id, d);
              return { type: 'ok', outputs: [{ subject: eventSubject('diagnosis', d.meta!.component), data: EVENT_CODECS.diagnosis.encode(d), id: d.meta!.id }] };
            } catch (err) {
              if (err instanceof InvalidArgumentError) return { type: 'invalid', reason: err.message };
              throw err;
            }
          });
          for (const [err, ids] of missed) ctx.logger.warn({ err, anomalies: ids.length, ids: ids.slice(0, 5) }, 'evidence unavailable; diagnosing from metrics alone');
          return results;
        },
      });
      ctx.serve<AnalyzeServiceServer>('x0.v1.AnalyzeService', AnalyzeServiceService, {
        getStatistics: () => ctx.stats.toProto(),
        explain: (req) => {
          if (!req.diagnosisId.trim()) throw new InvalidArgumentError('diagnosis_id', 'must not be empty (a diagnosis id, dg_…: x0 events --type diagnosis)');
          const d = recent.get(req.diagnosisId);
          if (!d) throw new NotFoundError('diagnosis', req.diagnosisId, { hint: explainNotFoundHint(ctx.config.ANALYZE_EXPLAIN_CACHE) });
          return d;
        },
      });
      return {
        start: () => consumer.start(),
        stop: async () => {
          await consumer.stop();
          provider?.close?.();
        },
      };
    },
  };
}
