import { createInbox, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { UnavailableError, errorMessage } from '@x0/core';
import { EvidenceRequest, EvidenceResponse, KNOWLEDGE_EVIDENCE_SUBJECT, type Anomaly } from '@x0/contracts';
import { classifyCause } from './cause-classifier';
import type { Evidence } from './diagnose';
import type { EvidenceProvider } from './analyze-service';

interface Waiter {
  resolve(res: EvidenceResponse): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * Evidence from the knowledge service over NATS request/reply (`x0.knowledge.evidence`):
 * similar past incidents and matching runbook passages. Throws UnavailableError when no
 * knowledge service answers within `timeoutMs`, or at once when none is subscribed (the
 * caller then diagnoses from metrics alone).
 *
 * Requests share one reply subscription (an inbox of this client, one token per request), so
 * a request costs its two messages and one timer: none of the client library's per-request
 * bookkeeping (error objects kept for async stack traces, a cancellation error per request).
 */
export function knowledgeEvidence(nc: NatsConnection, options: { timeoutMs: number; maxIncidents?: number; maxRunbooks?: number }): EvidenceProvider {
  return new KnowledgeEvidenceClient(nc, options);
}

class KnowledgeEvidenceClient implements EvidenceProvider {
  private readonly prefix = `${createInbox()}.`;
  private sub: Subscription | undefined;
  private readonly waiting = new Map<number, Waiter>();
  private nextToken = 0;
  private closed = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly options: { timeoutMs: number; maxIncidents?: number; maxRunbooks?: number },
  ) {}

  async gather(anomaly: Anomaly): Promise<Evidence> {
    const cause = classifyCause(anomaly.metrics)[0]?.cause ?? '';
    const req = EvidenceRequest.encode({ anomaly, cause, maxIncidents: this.options.maxIncidents ?? 5, maxRunbooks: this.options.maxRunbooks ?? 3 }).finish();
    const res = await this.request(req);
    return {
      incidents: res.incidents.map((i) => ({ id: i.id, similarity: i.similarity, cause: i.cause, action: i.action, recovered: i.recovered })),
      runbooks: res.runbooks.map((r) => ({ id: r.id, title: r.title, text: r.text, score: r.score, cause: r.cause, actions: r.actions })),
    };
  }

  /** Stops listening for replies; requests still waiting fail with UnavailableError. */
  close(): void {
    this.closed = true;
    this.sub?.unsubscribe();
    this.sub = undefined;
    for (const [token, w] of this.waiting) this.settle(token, w, new UnavailableError('evidence client closed'));
  }

  private request(data: Uint8Array): Promise<EvidenceResponse> {
    const { timeoutMs } = this.options;
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new UnavailableError('evidence client closed'));
      const token = ++this.nextToken;
      const timer = setTimeout(() => {
        const w = this.waiting.get(token);
        if (w) this.settle(token, w, new UnavailableError(`no evidence from knowledge within ${timeoutMs} ms: timeout`));
      }, timeoutMs);
      const w: Waiter = { resolve, reject, timer };
      this.waiting.set(token, w);
      try {
        // Subscribed before the first request goes out: the server sees SUB before PUB on this connection.
        this.sub ??= this.nc.subscribe(`${this.prefix}*`, { callback: (err, m) => this.onReply(err, m) });
        this.nc.publish(KNOWLEDGE_EVIDENCE_SUBJECT, data, { reply: this.prefix + token });
      } catch (err) {
        this.settle(token, w, new UnavailableError(`no evidence from knowledge: ${errorMessage(err)}`, { cause: err }));
      }
    });
  }

  private onReply(err: Error | null, m: Msg): void {
    const token = Number(m?.subject?.slice(this.prefix.length));
    const w = this.waiting.get(token);
    if (!w) return; // late (timed out) or not ours
    if (err) return this.settle(token, w, new UnavailableError(`no evidence from knowledge: ${errorMessage(err)}`, { cause: err }));
    if (m.data.length === 0 && m.headers?.code === 503) {
      return this.settle(token, w, new UnavailableError('no evidence from knowledge: no knowledge service is answering (no responders)'));
    }
    let res: EvidenceResponse;
    try {
      res = EvidenceResponse.decode(m.data);
    } catch (e) {
      return this.settle(token, w, new UnavailableError(`no evidence from knowledge: not an EvidenceResponse: ${errorMessage(e)}`, { cause: e }));
    }
    this.settle(token, w, undefined, res);
  }

  private settle(token: number, w: Waiter, err: Error | undefined, res?: EvidenceResponse): void {
    this.waiting.delete(token);
    clearTimeout(w.timer);
    if (err) w.reject(err);
    else w.resolve(res!);
  }
}
