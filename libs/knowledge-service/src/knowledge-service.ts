import path from 'node:path';
import { errorMessage, InvalidArgumentError } from '@x0/core';
import { createEventConsumer } from '@x0/bus';
import { incidentOfRecord, KnowledgeServiceService, Verdict, type KnowledgeServiceServer, type Outcome } from '@x0/contracts';
import { createTextEmbedder } from '@x0/embeddings';
import { KnowledgeBase, type IncidentPayload } from '@x0/knowledge-base';
import { PolicyStatsStore } from '@x0/policy-stats';
import { createVectorStore } from '@x0/vector-store';
import type { ServiceModule } from '@x0/service-kit';
import { EvidenceResponder } from './evidence-responder';
import { IncidentStore, incidentFromOutcome } from './incident-store';
import { knowledgeConfigShape } from './knowledge-config';
import { RunbookCatalog } from './runbook-catalog';
import { RunbookRemovals } from './runbook-removals';

/** Verdicts that say whether a policy heals (dry runs and failed actions do not). */
function judged(o: Outcome): boolean {
  return o.verdict === Verdict.VERDICT_RECOVERED || o.verdict === Verdict.VERDICT_NOT_RECOVERED;
}

/**
 * The knowledge service: on every Outcome it records the incident (KV), indexes it by its
 * signature for similarity search, and counts the outcome in the policy statistics plan ranks
 * with. It keeps the runbooks (ingested from a folder at start and over gRPC, removed over
 * gRPC: see RunbookCatalog), answers the
 * analyze phase's evidence requests on `x0.knowledge.evidence`, and serves KnowledgeService.
 */
export const knowledgeService: ServiceModule<typeof knowledgeConfigShape> = {
  name: 'knowledge',
  configShape: knowledgeConfigShape,
  async create(ctx) {
    const c = ctx.config;
    const incidents = await IncidentStore.open(ctx.bus, c.KNOWLEDGE_INCIDENT_INDEX);
    const stats = await PolicyStatsStore.open(ctx.bus);
    const store = createVectorStore({
      qdrantUrl: c.QDRANT_URL,
      qdrantApiKey: c.QDRANT_API_KEY,
      dataDir: path.resolve(c.X0_DATA_DIR, 'vectors'),
      durability: c.KNOWLEDGE_FSYNC ? 'fsync' : 'none',
      ...(c.KNOWLEDGE_INDEX_THREADS > 0 ? { hnsw: { indexThreads: c.KNOWLEDGE_INDEX_THREADS } } : {}),
    });
    const embedder = createTextEmbedder({ url: c.EMBEDDINGS_URL, model: c.EMBEDDINGS_MODEL, apiKey: c.EMBEDDINGS_API_KEY, dim: c.EMBEDDINGS_DIM });
    const kb = new KnowledgeBase({ store, embedder });
    const evidence = new EvidenceResponder({ bus: ctx.bus, kb, logger: ctx.logger, cacheMs: c.KNOWLEDGE_RUNBOOK_CACHE_S * 1000, incidents });
    const runbooks = new RunbookCatalog({ kb, removals: await RunbookRemovals.open(ctx.bus), logger: ctx.logger, onChange: () => evidence.invalidate() });
    ctx.stats.addGauge('knowledge_incidents_indexed', 'Incidents in the in-memory index', () => incidents.size);

    const consumer = createEventConsumer({
      bus: ctx.bus,
      service: 'knowledge',
      type: 'outcome',
      ...ctx.consumerOptions,
      // A batch of outcomes is recorded with one incident-index write (one fsync), the KV
      // records in parallel, and one compare-and-set per policy tally touched.
      handleAll: async (deliveries) => {
        const outcomes = deliveries.map((d) => d.value);
        // Not `.map(incidentFromOutcome)`: map's index would become its `now` (recorded at 1970).
        const recorded = outcomes.map((o) => incidentFromOutcome(o));
        await Promise.all(recorded.map((incident) => incidents.put(incident)));
        const points = outcomes.flatMap((outcome, i) => {
          const ic = outcome.incident!;
          if (ic.signature.length === 0) return [];
          const payload: IncidentPayload = {
            component: ic.component,
            // Evidence for a re-announcement leaves out the records of its own incident by this.
            incident_id: incidentOfRecord(recorded[i]),
            kind: ic.kind || 'unknown',
            cause: ic.cause,
            action: ic.action,
            policy_id: ic.policyId,
            verdict: Verdict[outcome.verdict] ?? 'VERDICT_UNSPECIFIED',
            recovered: outcome.recovered,
            judged: judged(outcome),
            time_to_recover_ms: outcome.timeToRecoverMs,
            recorded_ms: recorded[i].recordedMs,
          };
          return [{ id: recorded[i].id, signature: ic.signature, payload }];
        });
        try {
          await kb.upsertIncidents(points);
        } catch (err) {
          if (!(err instanceof InvalidArgumentError)) throw err;
          // One bad signature (e.g. an old detector's length) must not keep the others out: one at a time.
          for (const p of points) {
            try {
              await kb.upsertIncident(p.id, p.signature, p.payload);
            } catch (e) {
              if (!(e instanceof InvalidArgumentError)) throw e;
              // Not searchable by similarity; the record stays in KV.
              ctx.logger.warn({ incident: p.id, err: e.message }, 'incident not indexed for similarity search');
            }
          }
        }
        await stats.recordMany(
          outcomes
            .filter((o) => o.incident!.policyId && judged(o))
            .map((o) => ({ policyId: o.incident!.policyId, action: o.incident!.action, component: o.incident!.component, recovered: o.recovered, timeMs: o.meta!.timeMs })),
        );
        return outcomes.map(() => ({ type: 'ok' as const }));
      },
    });

    ctx.serve<KnowledgeServiceServer>('x0.v1.KnowledgeService', KnowledgeServiceService, {
      getStatistics: () => ctx.stats.toProto(),
      getIncident: (req) => incidents.get(req.id),
      listIncidents: (req) => ({ incidents: incidents.list(req.component, req.limit > 0 ? Math.min(req.limit, 1000) : 50, req.incidentId) }),
      getPolicyStats: async (req) => ({ stats: await stats.list(req.component) }),
      search: async (req) => {
        const limit = req.limit > 0 ? Math.min(req.limit, 100) : 5;
        if (req.collection === 'incidents') {
          if (req.vector.length === 0) throw new InvalidArgumentError('vector', 'must not be empty when searching incidents');
          const hits = await kb.searchIncidents(req.vector, { k: limit, component: req.component || undefined, kind: req.kind || undefined });
          return {
            hits: hits.map((h) => ({
              id: h.id,
              score: h.score,
              title: `${String(h.payload['cause'] || 'unknown')} on ${h.payload.component} → ${String(h.payload['action'] || 'no action')}`,
              text: '',
              payload: Object.fromEntries(Object.entries(h.payload).map(([k, v]) => [k, String(v)])),
              sharesWords: false,
            })),
          };
        }
        if (req.collection !== '' && req.collection !== 'runbooks') throw new InvalidArgumentError('collection', `must be 'runbooks' or 'incidents', got '${req.collection}'`);
        if (!req.text.trim()) throw new InvalidArgumentError('text', 'must not be empty');
        const hits = await kb.searchRunbooks(req.text, { k: limit });
        return {
          hits: hits.map((h) => ({
            id: h.id,
            score: h.score,
            title: [h.title, ...h.headings.slice(-1)].filter(Boolean).join(' — '),
            text: h.text,
            payload: { source: h.source, cause: h.cause ?? '', actions: [...new Set([...h.actions, ...h.runbookActions])].join(',') },
            sharesWords: h.sharedWords,
          })),
        };
      },
      // Past gRPC's 4 MiB the request never gets here: grpc-js answers RESOURCE_EXHAUSTED itself.
      ingestDocument: async (req) => ({ chunks: (await runbooks.ingest(req.source, req.text)).chunks }),
      deleteDocument: async (req) => ({ chunks: await runbooks.remove(req.source) }),
    });

    return {
      start: async () => {
        await store.start();
        await kb.start();
        if (c.KNOWLEDGE_RUNBOOKS_DIR) {
          const dir = path.resolve(c.KNOWLEDGE_RUNBOOKS_DIR);
          const loaded = await runbooks.loadFolder(dir);
          if (loaded) {
            const { rejected, ...counts } = loaded;
            ctx.logger.info({ dir, ...counts }, counts.skipped.length > 0 ? 'runbooks ingested; removed ones left out (x0 kb add brings one back)' : 'runbooks ingested');
            // The others are loaded: one bad file must not keep the loop's memory from starting.
            for (const r of rejected) {
              const msg = r.dropped > 0 ? `runbook rejected, not loaded, and its earlier version (${r.dropped} passage(s)) no longer searched: fix it, then x0 kb add it` : 'runbook rejected, not loaded: fix it, then x0 kb add it';
              ctx.logger.error({ dir, source: r.source, reason: r.reason, dropped: r.dropped }, msg);
            }
          } else ctx.logger.warn({ dir }, 'runbook folder not found; starting without runbooks');
        }
        const loaded = await incidents.start();
        ctx.logger.info({ incidents: loaded, vectorStore: store.kind }, 'knowledge ready');
        evidence.start();
        await consumer.start();
      },
      stop: async () => {
        await consumer.stop();
        await evidence.stop();
        incidents.stop();
        await store.stop().catch((err: unknown) => ctx.logger.warn({ err: errorMessage(err) }, 'vector store did not stop cleanly'));
      },
    };
  },
};
