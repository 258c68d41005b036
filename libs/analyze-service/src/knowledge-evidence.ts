import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { UnavailableError, asError, errorMessage } from '@x0/core';
import {
  EvidenceBatchRequest,
  EvidenceBatchResponse,
  EvidenceRequest,
  EvidenceResponse,
  KNOWLEDGE_EVIDENCE_BATCH_SUBJECT,
  KNOWLEDGE_EVIDENCE_SUBJECT,
  type Anomaly,
} from '@x0/contracts';
import { classifyCause } from './cause-classifier';
import type { Evidence } from './diagnose';
import type { EvidenceProvider } from './analyze-service';

/** Most anomalies in one batch request (a response of 64 is ~100 KB, far below NATS's 1 MB). */
const MAX_BATCH = 64;

/**
 * Evidence from the knowledge service over NATS request/reply (`x0.knowledge.evidence`):
 * similar past incidents (other than the anomaly's own incident: the request carries the
 * anomaly, whose incident_id the service leaves out), what was tried on a re-announced
 * incident, and matching runbook passages. Throws UnavailableError when no
 * knowledge service answers within `timeoutMs`, or at once when none is subscribed (the
 * caller then diagnoses from metrics alone). The client library multiplexes the replies over
 * one inbox subscription; `close()` refuses further requests.
 *
 * `gatherMany` asks for several anomalies in one round trip (`x0.knowledge.evidence.batch`,
 * up to 64 per request); a knowledge service that does not answer that subject (an older
 * version) is asked one anomaly at a time instead.
 */
export function knowledgeEvidence(nc: NatsConnection, options: { timeoutMs: number; maxIncidents?: number; maxRunbooks?: number }): EvidenceProvider {
  let closed = false;
  const request = (anomaly: Anomaly): EvidenceRequest => ({
    anomaly,
    cause: classifyCause(anomaly.metrics)[0]?.cause ?? '',
    maxIncidents: options.maxIncidents ?? 5,
    maxRunbooks: options.maxRunbooks ?? 3,
  });
  /** One request to knowledge, its answer decoded; UnavailableError (cause: the client's error) when none comes or it is not `what`. */
  const ask = async <T>(subject: string, data: Uint8Array, decode: (bytes: Uint8Array) => T, what: string): Promise<T> => {
    let reply: Msg;
    try {
      reply = await nc.request(subject, data, { timeout: options.timeoutMs });
    } catch (err) {
      throw new UnavailableError(`no evidence from knowledge within ${options.timeoutMs} ms: ${errorMessage(err)}`, { cause: err });
    }
    try {
      return decode(reply.data);
    } catch (err) {
      throw new UnavailableError(`no evidence from knowledge: not an ${what}: ${errorMessage(err)}`, { cause: err });
    }
  };
  const gather = async (anomaly: Anomaly): Promise<Evidence> => {
    if (closed) throw new UnavailableError('evidence client closed');
    const res = await ask(KNOWLEDGE_EVIDENCE_SUBJECT, EvidenceRequest.encode(request(anomaly)).finish(), (b) => EvidenceResponse.decode(b), 'EvidenceResponse');
    return toEvidence(res);
  };
  const gatherChunk = async (chunk: readonly Anomaly[]): Promise<Array<Evidence | Error>> => {
    let res: EvidenceBatchResponse;
    try {
      res = await ask(KNOWLEDGE_EVIDENCE_BATCH_SUBJECT, EvidenceBatchRequest.encode({ requests: chunk.map(request) }).finish(), (b) => EvidenceBatchResponse.decode(b), 'EvidenceBatchResponse');
    } catch (err) {
      // Nobody answers batches: an older knowledge service (or none, and then each request fails at once too).
      if (isNoResponders((err as Error).cause)) return Promise.all(chunk.map((a) => gather(a).catch(asError)));
      return chunk.map(() => err as Error);
    }
    if (res.responses.length !== chunk.length) {
      const e = new UnavailableError(`no evidence from knowledge: ${res.error || `${res.responses.length} answers to ${chunk.length} requests`}`);
      return chunk.map(() => e);
    }
    return res.responses.map((r) => {
      try {
        return toEvidence(r);
      } catch (err) {
        return asError(err);
      }
    });
  };
  return {
    gather,
    async gatherMany(anomalies: readonly Anomaly[]): Promise<Array<Evidence | Error>> {
      if (closed) return anomalies.map(() => new UnavailableError('evidence client closed'));
      if (anomalies.length === 1) return [await gather(anomalies[0]).catch(asError)];
      const chunks: Array<Promise<Array<Evidence | Error>>> = [];
      for (let i = 0; i < anomalies.length; i += MAX_BATCH) chunks.push(gatherChunk(anomalies.slice(i, i + MAX_BATCH)));
      return (await Promise.all(chunks)).flat();
    },
    close(): void {
      closed = true;
    },
  };
}

/**
 * The evidence of one answer. Its `error` says what knowledge could not search — `incidents:
 * <reason>`, `runbooks: <reason>` or both, joined by '; ' (EvidenceResponder) —, which goes to
 * `failed` (the diagnosis says it instead of "no similar past incident"); any other error (the
 * request could not be read) is an UnavailableError, as no answer is.
 */
export function toEvidence(res: EvidenceResponse): Evidence {
  const failed: { incidents?: string; runbooks?: string } = {};
  if (res.error) {
    const parts = /^(?:incidents: (.*?))?(?:(?:^|; )runbooks: (.*))?$/s.exec(res.error);
    if (!parts || (parts[1] === undefined && parts[2] === undefined)) throw new UnavailableError(`no evidence from knowledge: ${res.error}`);
    if (parts[1] !== undefined) failed.incidents = parts[1];
    if (parts[2] !== undefined) failed.runbooks = parts[2];
  }
  return {
    incidents: res.incidents.map((i) => ({ id: i.id, similarity: i.similarity, cause: i.cause, action: i.action, recovered: i.recovered })),
    runbooks: res.runbooks.map((r) => ({ id: r.id, title: r.title, text: r.text, score: r.score, cause: r.cause, actions: r.actions })),
    tried: res.tried.map((t) => ({ action: t.action, attempts: t.attempts, recovered: t.recovered })),
    ...(res.error ? { failed } : {}),
  };
}

/** True for nats-core's "no responders" request error. */
function isNoResponders(err: unknown): boolean {
  const e = err as { isNoResponders?: () => boolean } | undefined;
  return typeof e?.isNoResponders === 'function' && e.isNoResponders();
}
