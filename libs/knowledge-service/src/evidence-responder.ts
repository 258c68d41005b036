import type { Subscription } from '@nats-io/transport-node';
import { errorMessage, LruMap } from '@x0/core';
import type { Bus } from '@x0/bus';
import {
  EvidenceBatchRequest,
  EvidenceBatchResponse,
  EvidenceRequest,
  EvidenceResponse,
  incidentOfAnomaly,
  KNOWLEDGE_EVIDENCE_BATCH_SUBJECT,
  KNOWLEDGE_EVIDENCE_SUBJECT,
  type Anomaly,
  type IncidentTry,
  type RunbookPassage,
  type SimilarIncident,
} from '@x0/contracts';
import type { KnowledgeBase } from '@x0/knowledge-base';
import type { Logger } from '@x0/service-kit';

/** Where the responder reads what was tried on an incident (the IncidentStore). */
export interface IncidentHistory {
  tried(incidentId: string): IncidentTry[];
}

/** Words of a cause key ("cpu_saturation" → "cpu saturation"). */
function words(s: string): string {
  return s.replace(/[_\-.]+/g, ' ');
}

/**
 * The text a runbook is searched with for an anomaly: the suspected cause and the names of
 * the metrics that moved, in operator words ("cpu saturation cpu latency ms web").
 */
export function runbookQuery(req: EvidenceRequest): string {
  const a = req.anomaly;
  const metrics = (a?.metrics ?? []).slice(0, 4).map((m) => words(m.metric));
  return [req.cause && req.cause !== 'unknown' ? words(req.cause) : '', ...metrics, a?.kind ?? ''].filter(Boolean).join(' ');
}

/**
 * Answers `x0.knowledge.evidence` (queue group "knowledge"): the incidents most similar to an
 * anomaly's signature (same component kind, outcome known; never a record of the anomaly's own
 * incident), what was already tried on that incident when the anomaly re-announces it, and the runbook passages that
 * match it (searched as the Search RPC searches them: hybrid); and `x0.knowledge.evidence.batch`,
 * the same for several anomalies in one request (one response per request, in order). Runbook
 * answers are cached per query text; ingesting or removing a runbook clears the cache.
 */
export class EvidenceResponder {
  private sub?: Subscription;
  private batchSub?: Subscription;
  private readonly cache = new LruMap<string, { at: number; passages: RunbookPassage[] }>(1000);

  private readonly bus: Bus;
  private readonly kb: KnowledgeBase;
  private readonly logger: Logger;
  private readonly cacheMs: number;
  private readonly incidents?: IncidentHistory;

  /** `incidents`: the recorded outcomes, for what was tried on a re-announced incident (without it, nothing is reported tried). */
  constructor(options: { bus: Bus; kb: KnowledgeBase; logger: Logger; cacheMs: number; incidents?: IncidentHistory }) {
    this.bus = options.bus;
    this.kb = options.kb;
    this.logger = options.logger;
    this.cacheMs = options.cacheMs;
    this.incidents = options.incidents;
  }

  start(): void {
    const sub = this.bus.nc.subscribe(KNOWLEDGE_EVIDENCE_SUBJECT, { queue: 'knowledge' });
    this.sub = sub;
    (async () => {
      for await (const m of sub) {
        // Answered concurrently: one slow search must not queue the others.
        this.answer(m.data).then(
          (res) => m.respond(EvidenceResponse.encode(res).finish()),
          (err) => m.respond(EvidenceResponse.encode({ incidents: [], runbooks: [], error: errorMessage(err), tried: [] }).finish()),
        );
      }
    })().catch(() => undefined);
    const batchSub = this.bus.nc.subscribe(KNOWLEDGE_EVIDENCE_BATCH_SUBJECT, { queue: 'knowledge' });
    this.batchSub = batchSub;
    (async () => {
      for await (const m of batchSub) {
        this.answerBatch(m.data).then(
          (res) => m.respond(EvidenceBatchResponse.encode(res).finish()),
          (err) => m.respond(EvidenceBatchResponse.encode({ responses: [], error: errorMessage(err) }).finish()),
        );
      }
    })().catch(() => undefined);
  }

  /** Stops answering (in-flight answers still go out). */
  async stop(): Promise<void> {
    await Promise.all([this.sub?.drain(), this.batchSub?.drain()]).catch(() => undefined);
  }

  /** Evidence for every request of a batch, in order (each answered as `answer` answers one). */
  async answerBatch(data: Uint8Array): Promise<EvidenceBatchResponse> {
    let batch: EvidenceBatchRequest;
    try {
      batch = EvidenceBatchRequest.decode(data);
    } catch (err) {
      return { responses: [], error: `not an EvidenceBatchRequest: ${errorMessage(err)}` };
    }
    return { responses: await Promise.all(batch.requests.map((r) => this.answerRequest(r))), error: '' };
  }

  /** Forgets cached runbook answers (after an ingest or a removal). */
  invalidate(): void {
    this.cache.clear();
  }

  async answer(data: Uint8Array): Promise<EvidenceResponse> {
    let req: EvidenceRequest;
    try {
      req = EvidenceRequest.decode(data);
    } catch (err) {
      return { incidents: [], runbooks: [], error: `not an EvidenceRequest: ${errorMessage(err)}`, tried: [] };
    }
    return this.answerRequest(req);
  }

  private async answerRequest(req: EvidenceRequest): Promise<EvidenceResponse> {
    let incidentsError = '';
    let runbooksError = '';
    const [incidents, runbooks] = await Promise.all([
      this.similarIncidents(req).catch((err) => {
        incidentsError = `incidents: ${errorMessage(err)}`;
        return [] as SimilarIncident[];
      }),
      this.runbooks(req).catch((err) => {
        runbooksError = `runbooks: ${errorMessage(err)}`;
        return [] as RunbookPassage[];
      }),
    ]);
    // incidents first, whichever search failed first: analyze reads the two parts back in that order (knowledge-evidence.ts)
    const errors = [incidentsError, runbooksError].filter((e) => e !== '');
    if (errors.length > 0) this.logger.debug({ errors }, 'evidence partly unavailable');
    return { incidents, runbooks, error: errors.join('; '), tried: this.tried(req.anomaly) };
  }

  /** What was tried on the incident a re-announcement continues ([] for a first announcement: nothing can be). */
  private tried(a: Anomaly | undefined): IncidentTry[] {
    const incident = incidentOfAnomaly(a);
    if (!this.incidents || !incident || incident === a?.meta?.id) return [];
    return this.incidents.tried(incident);
  }

  private async similarIncidents(req: EvidenceRequest): Promise<SimilarIncident[]> {
    const a = req.anomaly;
    if (!a || a.signature.length === 0) return [];
    const hits = await this.kb.searchIncidents(a.signature, {
      k: req.maxIncidents || 5,
      kind: a.kind || undefined,
      excludeIds: a.meta?.id ? [a.meta.id] : [],
      // A lasting fault's earlier announcements are not similar past incidents: they are this one.
      excludeIncident: incidentOfAnomaly(a) || undefined,
    });
    return hits.map((h) => ({
      id: h.id,
      similarity: h.score,
      component: String(h.payload.component),
      cause: String(h.payload['cause'] ?? ''),
      action: String(h.payload['action'] ?? ''),
      recovered: h.payload['recovered'] === true,
      timeToRecoverMs: Number(h.payload['time_to_recover_ms'] ?? 0),
    }));
  }

  private async runbooks(req: EvidenceRequest): Promise<RunbookPassage[]> {
    const query = runbookQuery(req);
    if (!query) return [];
    const k = req.maxRunbooks || 3;
    const key = `${k}\u0000${query}`;
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < this.cacheMs) return hit.passages;
    // The retrieval `x0 kb search` (the Search RPC) uses: the knowledge base's default, hybrid
    // (BM25 + dense, RRF), so a passage worded differently from the anomaly's cause and
    // metric names is found by its dense embedding (docs/knowledge-retrieval.md#evaluation).
    // The query is embedded once for both searches below (an EMBEDDINGS_URL endpoint: one call).
    // When the embedder fails (that service down or slow), lexical search still answers: the
    // analyze phase gets the runbooks that share words with the anomaly.
    const lexical = (err: unknown, filter?: { cause: string }) => {
      this.logger.warn({ err: errorMessage(err) }, 'hybrid runbook search failed; lexical search instead');
      return this.kb.searchRunbooks(query, { k, filter, mode: 'lexical' });
    };
    const embedding = await this.kb.embedQuery(query).catch((err: unknown) => err as Error);
    const search = (filter?: { cause: string }) =>
      embedding instanceof Float32Array ? this.kb.searchRunbooks(query, { k, filter, embedding }).catch((err: unknown) => lexical(err, filter)) : lexical(embedding, filter);
    // The suspected cause's own runbook first (when there is one), then whatever else matches.
    const cause = req.cause && req.cause !== 'unknown' ? req.cause : undefined;
    const [own, any] = await Promise.all([cause ? search({ cause }) : Promise.resolve([]), search()]);
    const seen = new Set<string>();
    const found = [...own.slice(0, Math.max(1, k - 1)), ...any].filter((r) => !seen.has(r.id) && seen.add(r.id)).slice(0, k);
    const passages = found.map((r) => ({
      id: r.id,
      title: [r.title, ...r.headings.slice(-1)].filter(Boolean).join(' — '),
      source: r.source,
      text: r.text,
      score: r.score,
      cause: r.cause ?? '',
      actions: [...new Set([...r.actions, ...r.runbookActions])],
    }));
    if (this.cacheMs > 0) this.cache.set(key, { at: Date.now(), passages });
    return passages;
  }
}
