/**
 * Analyze with knowledge, against a real nats-server: a brand-new system diagnoses from
 * runbooks alone; once incidents are recorded (through Outcome events, as the loop records
 * them), a similar anomaly is diagnosed with the evidence of what worked before.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { connectBus, provisionStreams, publishMessage, type Bus } from '@x0/bus';
import { startNatsServer, type NatsServerProcess } from '@x0/bus/testing';
import { Anomaly, EVENT_CODECS, KNOWLEDGE_EVIDENCE_BATCH_SUBJECT, Outcome, STREAMS, Severity, Verdict, eventSubject, type Diagnosis } from '@x0/contracts';
import { createAnalyzeService } from '@x0/analyze-service';
import { MAX_RUNBOOK_BYTES } from '@x0/knowledge-base';
import { knowledgeService } from '@x0/knowledge-service';
import { runService, type ServiceHandle } from '@x0/service-kit';
import { createServiceClients, serviceAddresses } from '@x0/client';

interface IncidentSet {
  incidents: Array<{ id: string; kind: string; component: string; signature: number[] }>;
}

const set: IncidentSet = JSON.parse(fs.readFileSync(path.join(__dirname, '../eval/rag/incidents.json'), 'utf8'));

async function consumed(bus: Bus, consumer: string): Promise<void> {
  for (;;) {
    const ci = await bus.jsm.consumers.info(STREAMS.events.name, consumer);
    if (ci.num_pending === 0 && ci.num_ack_pending === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function diagnosisOf(bus: Bus, anomalyId: string): Promise<Diagnosis> {
  const end = Date.now() + 15_000;
  for (;;) {
    const info = await bus.jsm.streams.info(STREAMS.events.name);
    for (let seq = info.state.last_seq; seq >= info.state.first_seq && seq > 0; seq--) {
      const m = await bus.jsm.streams.getMessage(STREAMS.events.name, { seq }).catch(() => undefined);
      if (m?.subject.startsWith('x0.events.diagnosis.')) {
        const d = EVENT_CODECS.diagnosis.decode(m.data);
        if (d.meta?.parentId === anomalyId) return d;
      }
    }
    if (Date.now() > end) throw new Error(`no diagnosis for ${anomalyId}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function anomaly(id: string, component: string, metric: string, signature: number[]): Anomaly {
  return Anomaly.fromPartial({
    meta: { id, parentId: `mb_${id}`, component, timeMs: Date.now(), source: 'test' },
    score: 0.95,
    severity: Severity.SEVERITY_HIGH,
    metrics: [{ metric, value: 3000, expected: 1000, score: 0.97 }],
    signature,
    kind: 'web',
  });
}

describe('analyze with knowledge', () => {
  let nats: NatsServerProcess;
  let bus: Bus;
  let knowledge: ServiceHandle;
  let analyze: ServiceHandle;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'x0-analyze-'));

  beforeAll(async () => {
    nats = await startNatsServer();
    bus = await connectBus({ url: nats.url, name: 'analyze-test' });
    await provisionStreams(bus.jsm);
    const env = { NATS_URL: nats.url, GRPC_HOST: '127.0.0.1', GRPC_PORT: '0', METRICS_PORT: '0', LOG_LEVEL: 'silent', X0_DATA_DIR: dataDir, KNOWLEDGE_FSYNC: 'false', ANALYZE_EVIDENCE_TIMEOUT_MS: '2000' };
    knowledge = await runService(knowledgeService, { env, handleSignals: false });
    analyze = await runService(createAnalyzeService(), { env, handleSignals: false });
  }, 60_000);

  afterAll(async () => {
    await analyze?.stop();
    await knowledge?.stop();
    await bus?.drain();
    await nats?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('a brand-new system still gets a cause, runbook actions and citations', async () => {
    const leak = set.incidents.find((i) => i.kind === 'memory_leak')!;
    const a = anomaly('an_new1', 'web-9', 'heap_used_mb', leak.signature);
    await publishMessage(bus.js, { subject: eventSubject('anomaly', 'web-9'), data: EVENT_CODECS.anomaly.encode(a), id: a.meta!.id });
    const d = await diagnosisOf(bus, a.meta!.id);
    expect(d.probableCause).toBe('memory_leak');
    expect(d.candidates.map((c) => c.action)).toContain('restart');
    expect(d.candidates.every((c) => c.similarIncidents === 0)).toBe(true);
    expect(d.citations.some((c) => c.kind === 'runbook')).toBe(true);
    expect(d.summary).toContain('no similar past incident');
  }, 30_000);

  it('with recorded incidents: similar ones are cited, and what worked ranks first', async () => {
    // Past memory leaks on web components: restart worked, scale_up did not.
    const leaks = set.incidents.filter((i) => i.kind === 'memory_leak').slice(1, 13);
    for (const [n, inc] of leaks.entries()) {
      const action = n % 3 === 0 ? 'scale_up' : 'restart';
      const recovered = action === 'restart';
      const o = Outcome.fromPartial({
        meta: { id: `oc_${inc.id}`, parentId: `ac_${inc.id}`, component: `web-${n}`, timeMs: Date.now(), source: 'execute' },
        incident: { anomalyId: inc.id, component: `web-${n}`, kind: 'web', cause: 'memory_leak', action, policyId: `leak-${action}`, signature: inc.signature, severity: Severity.SEVERITY_HIGH, score: 0.9 },
        actionId: `ac_${inc.id}`,
        verdict: recovered ? Verdict.VERDICT_RECOVERED : Verdict.VERDICT_NOT_RECOVERED,
        recovered,
        timeToRecoverMs: recovered ? 20_000 : 0,
      });
      await publishMessage(bus.js, { subject: eventSubject('outcome', o.meta!.component), data: EVENT_CODECS.outcome.encode(o), id: o.meta!.id });
    }
    await consumed(bus, 'knowledge');
    // A metric name the rules cannot place: the evidence has to carry the diagnosis.
    const a = anomaly('an_new2', 'web-42', 'value', set.incidents.find((i) => i.kind === 'memory_leak')!.signature);
    await publishMessage(bus.js, { subject: eventSubject('anomaly', 'web-42'), data: EVENT_CODECS.anomaly.encode(a), id: a.meta!.id });
    const d = await diagnosisOf(bus, a.meta!.id);
    expect(d.probableCause).toBe('memory_leak');
    const incidentCitations = d.citations.filter((c) => c.kind === 'incident');
    expect(incidentCitations.length).toBeGreaterThanOrEqual(3);
    expect(incidentCitations.every((c) => leaks.some((l) => l.id === c.id))).toBe(true);
    expect(d.candidates[0].action).toBe('restart');
    expect(d.candidates[0].successes).toBe(d.candidates[0].similarIncidents);
    const scaleUp = d.candidates.find((c) => c.action === 'scale_up');
    if (scaleUp) expect(scaleUp.successes).toBe(0);
  }, 60_000);

  it('incidents - recorded at the time the outcome arrives, listed newest first', async () => {
    const clients = createServiceClients({ ...serviceAddresses(), knowledge: `127.0.0.1:${knowledge.grpcPort}` });
    try {
      const before = Date.now();
      const signature = set.incidents.find((i) => i.kind === 'memory_leak')!.signature;
      // Two separate deliveries: each is the first (index 0) of its batch.
      for (const id of ['an_time1', 'an_time2']) {
        const o = Outcome.fromPartial({
          meta: { id: `oc_${id}`, parentId: `ac_${id}`, component: 'web-time', timeMs: Date.now(), source: 'execute' },
          incident: { anomalyId: id, component: 'web-time', kind: 'web', cause: 'memory_leak', action: 'restart', policyId: 'leak-restart', signature },
          actionId: `ac_${id}`,
          verdict: Verdict.VERDICT_RECOVERED,
          recovered: true,
        });
        await publishMessage(bus.js, { subject: eventSubject('outcome', 'web-time'), data: EVENT_CODECS.outcome.encode(o), id: o.meta!.id });
        await consumed(bus, 'knowledge');
        await new Promise((r) => setTimeout(r, 20));
      }
      const { incidents } = await clients.knowledge.listIncidents({ component: 'web-time', limit: 10, incidentId: '' });
      expect(incidents.map((i) => i.id)).toEqual(['an_time2', 'an_time1']);
      for (const i of incidents) {
        expect(i.recordedMs).toBeGreaterThanOrEqual(before);
        expect(i.recordedMs).toBeLessThanOrEqual(Date.now());
      }
      expect(incidents[0].recordedMs).toBeGreaterThan(incidents[1].recordedMs);
      // The similarity index carries the same time.
      const { hits } = await clients.knowledge.search({ collection: 'incidents', vector: signature, component: 'web-time', limit: 10, text: '', kind: '' });
      expect(Object.fromEntries(hits.map((h) => [h.id, h.payload['recorded_ms']]))).toEqual(Object.fromEntries(incidents.map((i) => [i.id, String(i.recordedMs)])));
    } finally {
      clients.close();
    }
  }, 30_000);

  it('ingest - a runbook over the size limit is INVALID_ARGUMENT naming the limit; past gRPC\'s 4 MiB, RESOURCE_EXHAUSTED', async () => {
    const clients = createServiceClients({ ...serviceAddresses(), knowledge: `127.0.0.1:${knowledge.grpcPort}` });
    try {
      const text = `# Huge\n\n${'x'.repeat(MAX_RUNBOOK_BYTES)}`;
      await expect(clients.knowledge.ingestDocument({ source: 'huge.md', text })).rejects.toMatchObject({
        code: grpc.status.INVALID_ARGUMENT,
        details: `'text' is ${Buffer.byteLength(text)} bytes; a runbook may be at most 1048576 bytes (1 MiB)`,
      });
      await expect(clients.knowledge.ingestDocument({ source: 'huger.md', text: 'x'.repeat(5 * 1024 * 1024) })).rejects.toMatchObject({
        code: grpc.status.RESOURCE_EXHAUSTED,
      });
    } finally {
      clients.close();
    }
  }, 30_000);

  it('a burst of anomalies is diagnosed through batch evidence requests, each with its own evidence', async () => {
    // A plain (non-queue) subscriber sees every batch request without answering it.
    let batchRequests = 0;
    const spy = bus.nc.subscribe(KNOWLEDGE_EVIDENCE_BATCH_SUBJECT, { callback: () => void batchRequests++ });
    await bus.nc.flush();
    const kinds = ['memory_leak', 'cpu_saturation'] as const;
    const burst = Array.from({ length: 40 }, (_, i) => {
      const kind = kinds[i % 2];
      const inc = set.incidents.filter((x) => x.kind === kind)[Math.floor(i / 2)];
      return anomaly(`an_burst${i}`, `web-b${i}`, kind === 'memory_leak' ? 'heap_used_mb' : 'cpu', inc.signature);
    });
    await Promise.all(burst.map((a) => publishMessage(bus.js, { subject: eventSubject('anomaly', a.meta!.component), data: EVENT_CODECS.anomaly.encode(a), id: a.meta!.id })));
    const diagnoses = await Promise.all(burst.map((a) => diagnosisOf(bus, a.meta!.id)));
    spy.unsubscribe();
    expect(batchRequests).toBeGreaterThanOrEqual(1);
    diagnoses.forEach((d, i) => {
      expect(d.probableCause).toBe(kinds[i % 2]);
      // Evidence arrived (runbook citations), and it is this anomaly's: its cause's runbook.
      const runbooks = d.citations.filter((c) => c.kind === 'runbook');
      expect(runbooks.length).toBeGreaterThan(0);
      expect(runbooks[0].title).toMatch(kinds[i % 2] === 'memory_leak' ? /memory leak/i : /cpu saturation/i);
    });
  }, 60_000);
});
