import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { UnavailableError, errorMessage } from '@x0/core';
import { EvidenceRequest, EvidenceResponse, KNOWLEDGE_EVIDENCE_SUBJECT, type Anomaly } from '@x0/contracts';
import { classifyCause } from './cause-classifier';
import type { Evidence } from './diagnose';
import type { EvidenceProvider } from './analyze-service';

/**
 * Evidence from the knowledge service over NATS request/reply (`x0.knowledge.evidence`):
 * similar past incidents and matching runbook passages. Throws UnavailableError when no
 * knowledge service answers within `timeoutMs`, or at once when none is subscribed (the
 * caller then diagnoses from metrics alone). The client library multiplexes the replies over
 * one inbox subscription; `close()` refuses further requests.
 */
export function knowledgeEvidence(nc: NatsConnection, options: { timeoutMs: number; maxIncidents?: number; maxRunbooks?: number }): EvidenceProvider {
  let closed = false;
  return {
    async gather(anomaly: Anomaly): Promise<Evidence> {
      if (closed) throw new UnavailableError('evidence client closed');
      const cause = classifyCause(anomaly.metrics)[0]?.cause ?? '';
      const req = EvidenceRequest.encode({ anomaly, cause, maxIncidents: options.maxIncidents ?? 5, maxRunbooks: options.maxRunbooks ?? 3 }).finish();
      let reply: Msg;
      try {
        reply = await nc.request(KNOWLEDGE_EVIDENCE_SUBJECT, req, { timeout: options.timeoutMs });
      } catch (err) {
        throw new UnavailableError(`no evidence from knowledge within ${options.timeoutMs} ms: ${errorMessage(err)}`, { cause: err });
      }
      let res: EvidenceResponse;
      try {
        res = EvidenceResponse.decode(reply.data);
      } catch (err) {
        throw new UnavailableError(`no evidence from knowledge: not an EvidenceResponse: ${errorMessage(err)}`, { cause: err });
      }
      return {
        incidents: res.incidents.map((i) => ({ id: i.id, similarity: i.similarity, cause: i.cause, action: i.action, recovered: i.recovered })),
        runbooks: res.runbooks.map((r) => ({ id: r.id, title: r.title, text: r.text, score: r.score, cause: r.cause, actions: r.actions })),
      };
    },
    close(): void {
      closed = true;
    },
  };
}
