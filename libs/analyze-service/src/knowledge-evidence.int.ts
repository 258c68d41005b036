import { connectBus, type Bus } from '@x0/bus';
import { startNatsServer, type NatsServerProcess } from '@x0/bus/testing';
import { UnavailableError } from '@x0/core';
import {
  Anomaly,
  EvidenceBatchRequest,
  EvidenceBatchResponse,
  EvidenceRequest,
  EvidenceResponse,
  KNOWLEDGE_EVIDENCE_BATCH_SUBJECT,
  KNOWLEDGE_EVIDENCE_SUBJECT,
  Severity,
} from '@x0/contracts';
import { knowledgeEvidence } from './knowledge-evidence';

const anomaly = (id: string) =>
  Anomaly.fromPartial({
    meta: { id, parentId: `mb_${id}`, component: 'web-1', timeMs: 1000, source: 'test' },
    score: 0.9,
    severity: Severity.SEVERITY_HIGH,
    metrics: [{ metric: 'heap_bytes', value: 9, expected: 2, score: 0.9 }],
    signature: [0.1, 0.2],
    kind: 'web',
  });

describe('knowledgeEvidence over a real nats-server', () => {
  let nats: NatsServerProcess;
  let bus: Bus;

  beforeAll(async () => {
    nats = await startNatsServer();
    bus = await connectBus({ url: nats.url, name: 'evidence-test' });
  });
  afterAll(async () => {
    await bus.drain();
    await nats.stop();
  });

  it('each concurrent request gets its own answer; the request carries the cause guessed from the metrics', async () => {
    const sub = bus.nc.subscribe(KNOWLEDGE_EVIDENCE_SUBJECT, {
      callback: (_err, m) => {
        const req = EvidenceRequest.decode(m.data);
        const id = req.anomaly!.meta!.id;
        // Answer out of order: later requests first.
        setTimeout(
          () =>
            m.respond(
              EvidenceResponse.encode({
                incidents: [{ id: `inc-of-${id}`, similarity: 0.9, component: 'web-2', cause: req.cause, action: 'restart', recovered: true, timeToRecoverMs: 1 }],
                runbooks: [{ id: 'rb-1', title: 'Memory', source: 'm.md', text: 'restart it', score: 1, cause: 'memory_leak', actions: ['restart'] }],
                error: '',
                tried: [{ action: 'throttle', attempts: 3, recovered: 0, lastMs: 900 }],
              }).finish(),
            ),
          Number(id.slice(2)) % 2 === 0 ? 30 : 1,
        );
      },
    });
    await bus.nc.flush();
    const provider = knowledgeEvidence(bus.nc, { timeoutMs: 2000 });
    const got = await Promise.all(Array.from({ length: 20 }, (_, i) => provider.gather(anomaly(`an${i}`))));
    got.forEach((ev, i) => {
      expect(ev.incidents).toEqual([{ id: `inc-of-an${i}`, similarity: expect.closeTo(0.9, 5), cause: 'memory_leak', action: 'restart', recovered: true }]);
      expect(ev.runbooks).toEqual([{ id: 'rb-1', title: 'Memory', text: 'restart it', score: 1, cause: 'memory_leak', actions: ['restart'] }]);
      expect(ev.tried).toEqual([{ action: 'throttle', attempts: 3, recovered: 0 }]);
    });
    sub.unsubscribe();
    provider.close?.();
  });

  it('no knowledge service: fails at once with UnavailableError (no responders), not after the timeout', async () => {
    const provider = knowledgeEvidence(bus.nc, { timeoutMs: 10_000 });
    const t0 = Date.now();
    await expect(provider.gather(anomaly('an-lonely'))).rejects.toThrow(/no responders/);
    expect(Date.now() - t0).toBeLessThan(5000);
    provider.close?.();
  });

  it('a silent knowledge service: UnavailableError after the timeout; a late answer is ignored', async () => {
    let late: (() => void) | undefined;
    const sub = bus.nc.subscribe(KNOWLEDGE_EVIDENCE_SUBJECT, {
      callback: (_err, m) => {
        late = () => m.respond(EvidenceResponse.encode({ incidents: [], runbooks: [], error: '', tried: [] }).finish());
      },
    });
    await bus.nc.flush();
    const provider = knowledgeEvidence(bus.nc, { timeoutMs: 100 });
    const err = await provider.gather(anomaly('an-slow')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect(String(err)).toContain('within 100 ms');
    late?.();
    await bus.nc.flush();
    sub.unsubscribe();
    provider.close?.();
    await expect(provider.gather(anomaly('an-closed'))).rejects.toThrow(/closed/);
  });

  /** A response naming the anomaly it answers (to check order). */
  const answerFor = (req: EvidenceRequest): EvidenceResponse => ({
    incidents: [{ id: `inc-of-${req.anomaly!.meta!.id}`, similarity: 0.5, component: 'web-2', cause: req.cause, action: 'restart', recovered: true, timeToRecoverMs: 1 }],
    runbooks: [],
    error: '',
    tried: [],
  });

  it('gatherMany - one batch request per 64 anomalies, answers matched to anomalies in order', async () => {
    const batchSizes: number[] = [];
    const single = bus.nc.subscribe(KNOWLEDGE_EVIDENCE_SUBJECT, { callback: () => expect('single request').toBe('not sent') });
    const batch = bus.nc.subscribe(KNOWLEDGE_EVIDENCE_BATCH_SUBJECT, {
      callback: (_err, m) => {
        const req = EvidenceBatchRequest.decode(m.data);
        batchSizes.push(req.requests.length);
        m.respond(EvidenceBatchResponse.encode({ responses: req.requests.map(answerFor), error: '' }).finish());
      },
    });
    await bus.nc.flush();
    const provider = knowledgeEvidence(bus.nc, { timeoutMs: 2000 });
    const got = await provider.gatherMany!(Array.from({ length: 150 }, (_, i) => anomaly(`an${i}`)));
    expect(batchSizes.sort((a, b) => a - b)).toEqual([22, 64, 64]);
    expect(got).toHaveLength(150);
    got.forEach((ev, i) => expect((ev as { incidents: Array<{ id: string; cause: string }> }).incidents[0]).toMatchObject({ id: `inc-of-an${i}`, cause: 'memory_leak' }));
    single.unsubscribe();
    batch.unsubscribe();
    provider.close?.();
  });

  it('gatherMany - a knowledge service without the batch subject is asked one anomaly at a time', async () => {
    const sub = bus.nc.subscribe(KNOWLEDGE_EVIDENCE_SUBJECT, {
      callback: (_err, m) => {
        m.respond(EvidenceResponse.encode(answerFor(EvidenceRequest.decode(m.data))).finish());
      },
    });
    await bus.nc.flush();
    const provider = knowledgeEvidence(bus.nc, { timeoutMs: 2000 });
    const got = await provider.gatherMany!([anomaly('an-a'), anomaly('an-b'), anomaly('an-c')]);
    expect(got.map((ev) => (ev as { incidents: Array<{ id: string }> }).incidents[0].id)).toEqual(['inc-of-an-a', 'inc-of-an-b', 'inc-of-an-c']);
    sub.unsubscribe();
    provider.close?.();
  });

  it('gatherMany - no knowledge at all, a silent one, or a short answer: an UnavailableError per anomaly', async () => {
    const provider = knowledgeEvidence(bus.nc, { timeoutMs: 150 });
    const none = await provider.gatherMany!([anomaly('an-x'), anomaly('an-y')]);
    expect(none.every((e) => e instanceof UnavailableError && /no responders/.test(e.message))).toBe(true);
    const silent = bus.nc.subscribe(KNOWLEDGE_EVIDENCE_BATCH_SUBJECT, { callback: () => undefined });
    await bus.nc.flush();
    const timedOut = await provider.gatherMany!([anomaly('an-x'), anomaly('an-y')]);
    expect(timedOut.every((e) => e instanceof UnavailableError && /within 150 ms/.test(e.message))).toBe(true);
    silent.unsubscribe();
    const short = bus.nc.subscribe(KNOWLEDGE_EVIDENCE_BATCH_SUBJECT, {
      callback: (_err, m) => {
        m.respond(EvidenceBatchResponse.encode({ responses: [answerFor(EvidenceBatchRequest.decode(m.data).requests[0])], error: '' }).finish());
      },
    });
    await bus.nc.flush();
    const partial = await provider.gatherMany!([anomaly('an-x'), anomaly('an-y')]);
    expect(partial.every((e) => e instanceof UnavailableError && /1 answers to 2 requests/.test(e.message))).toBe(true);
    short.unsubscribe();
    provider.close?.();
  });
});
