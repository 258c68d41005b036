import { connectBus, type Bus } from '@x0/bus';
import { startNatsServer, type NatsServerProcess } from '@x0/bus/testing';
import { UnavailableError } from '@x0/core';
import { Anomaly, EvidenceRequest, EvidenceResponse, KNOWLEDGE_EVIDENCE_SUBJECT, Severity } from '@x0/contracts';
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
        late = () => m.respond(EvidenceResponse.encode({ incidents: [], runbooks: [], error: '' }).finish());
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
});
