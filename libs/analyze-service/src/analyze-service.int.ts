import fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import os from 'node:os';
import path from 'node:path';
import { connectBus, provisionStreams, publishMessage, type Bus } from '@x0/bus';
import { readDeadLetters, startNatsServer, waitFor, type NatsServerProcess } from '@x0/bus/testing';
import { UnavailableError } from '@x0/core';
import { AnalyzeServiceClient, Anomaly, EVENT_CODECS, Severity, eventSubject, type Diagnosis } from '@x0/contracts';
import { runService, type ServiceHandle } from '@x0/service-kit';
import { createAnalyzeService, type EvidenceProvider } from './analyze-service';
import type { Evidence } from './diagnose';

const anomaly = (id: string, metric: string) =>
  Anomaly.fromPartial({
    meta: { id, parentId: `mb_${id}`, component: `svc-${id}`, timeMs: Date.now(), source: 'test' },
    score: 0.9,
    severity: Severity.SEVERITY_HIGH,
    metrics: [{ metric, value: 9, expected: 2, score: 0.9 }],
    signature: [0.1, 0.2],
    kind: 'web',
  });

const runbookEvidence: Evidence = {
  incidents: [],
  runbooks: [{ id: 'rb-mem', title: 'Memory leak', text: 'Restart the process.', score: 1, cause: 'memory_leak', actions: ['restart'] }],
};

describe('analyze service when evidence is missing', () => {
  let nats: NatsServerProcess;
  let bus: Bus;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'x0-analyze-svc-'));
  const env = () => ({ NATS_URL: nats.url, GRPC_HOST: '127.0.0.1', GRPC_PORT: '0', METRICS_PORT: '0', LOG_LEVEL: 'silent', X0_DATA_DIR: dataDir, ANALYZE_EVIDENCE_TIMEOUT_MS: '300' });
  const diagnoses = new Map<string, Diagnosis>();

  beforeAll(async () => {
    nats = await startNatsServer();
    bus = await connectBus({ url: nats.url, name: 'analyze-svc-test' });
    await provisionStreams(bus.jsm);
    bus.nc.subscribe('x0.events.diagnosis.>', {
      callback: (_err, m) => {
        const d = EVENT_CODECS.diagnosis.decode(m.data);
        diagnoses.set(d.meta!.parentId, d);
      },
    });
  });

  afterAll(async () => {
    await bus.drain();
    await nats.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function diagnosed(ids: string[]): Promise<Diagnosis[]> {
    const end = Date.now() + 10_000;
    while (ids.some((id) => !diagnoses.has(id)) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    return ids.map((id) => {
      const d = diagnoses.get(id);
      if (!d) throw new Error(`no diagnosis for ${id}`);
      return d;
    });
  }

  async function publishAll(anomalies: Anomaly[]): Promise<void> {
    await Promise.all(anomalies.map((a) => publishMessage(bus.js, { subject: eventSubject('anomaly', a.meta!.component), data: EVENT_CODECS.anomaly.encode(a), id: a.meta!.id })));
  }

  it('no knowledge service: every anomaly is still diagnosed, from its metrics alone', async () => {
    const svc: ServiceHandle = await runService(createAnalyzeService(), { env: env(), handleSignals: false });
    try {
      const burst = [anomaly('an-k1', 'heap_used_mb'), anomaly('an-k2', 'cpu'), anomaly('an-k3', 'disk_used_pct')];
      await publishAll(burst);
      const got = await diagnosed(burst.map((a) => a.meta!.id));
      expect(got.map((d) => d.probableCause)).toEqual(['memory_leak', 'cpu_saturation', 'disk_full']);
      expect(got.every((d) => d.citations.length === 0)).toBe(true);
    } finally {
      await svc.stop();
    }
  }, 30_000);

  it('evidence for part of a batch: each anomaly is diagnosed with its own evidence, or without when it has none', async () => {
    const asked: number[] = [];
    const provider: EvidenceProvider = {
      gather: async () => runbookEvidence,
      // Evidence for the anomalies on a heap metric; an error for the others.
      gatherMany: async (anomalies) => {
        asked.push(anomalies.length);
        return anomalies.map((a) => (a.metrics[0].metric.startsWith('heap') ? runbookEvidence : new UnavailableError('knowledge busy')));
      },
    };
    const svc: ServiceHandle = await runService(createAnalyzeService(() => provider), { env: { ...env(), X0_INSTANCE: 'analyze-b' }, handleSignals: false });
    try {
      const burst = [anomaly('an-m1', 'heap_used_mb'), anomaly('an-m2', 'cpu'), anomaly('an-m3', 'heap_rss_mb')];
      await publishAll(burst);
      const [withEv, without, withEv2] = await diagnosed(burst.map((a) => a.meta!.id));
      expect(withEv.citations.map((c) => c.id)).toEqual(['rb-mem']);
      expect(withEv2.citations.map((c) => c.id)).toEqual(['rb-mem']);
      expect(without.citations).toEqual([]);
      expect(without.probableCause).toBe('cpu_saturation');
      // The one knowledge did not answer for says so; not 'no similar past incident'.
      expect(without.summary).toContain('evidence unavailable (knowledge did not answer)');
      expect(without.summary).not.toContain('no similar past incident');
      expect(withEv.summary).toContain('no similar past incident');
      expect(asked.reduce((a, b) => a + b, 0)).toBe(3);
    } finally {
      await svc.stop();
    }
  }, 30_000);

  it('an anomaly with a metric that is not a number is dead-lettered with the field named; the others of its batch are diagnosed', async () => {
    const svc: ServiceHandle = await runService(createAnalyzeService(), { env: { ...env(), X0_INSTANCE: 'analyze-c' }, handleSignals: false });
    try {
      const bad = anomaly('an-nan1', 'latency_ms');
      bad.metrics.push({ metric: 'cpu', value: NaN, expected: 0.3, score: NaN });
      const burst = [anomaly('an-ok1', 'cpu'), bad, anomaly('an-ok2', 'heap_used_mb')];
      await publishAll(burst);
      const [ok1, ok2] = await diagnosed(['an-ok1', 'an-ok2']);
      expect([ok1.probableCause, ok2.probableCause]).toEqual(['cpu_saturation', 'memory_leak']);
      const letter = await waitFor(async () => (await readDeadLetters(bus, 'analyze')).find((l) => l.subject === eventSubject('anomaly', 'svc-an-nan1')));
      expect(letter.kind).toBe('rejected');
      expect(letter.reason).toBe(`'metrics[1].value' must be finite, got NaN (metric "cpu")`);
      expect(EVENT_CODECS.anomaly.decode(letter.payload).meta!.id).toBe('an-nan1');
      expect(diagnoses.has('an-nan1')).toBe(false);
    } finally {
      await svc.stop();
    }
  }, 30_000);

  it('explain - an empty id is INVALID_ARGUMENT; an unknown one NOT_FOUND saying what is kept and where to look instead', async () => {
    const svc: ServiceHandle = await runService(createAnalyzeService(), { env: { ...env(), X0_INSTANCE: 'analyze-d', ANALYZE_EXPLAIN_CACHE: '50' }, handleSignals: false });
    const client = new AnalyzeServiceClient(`127.0.0.1:${svc.grpcPort}`, grpc.credentials.createInsecure());
    const explain = (diagnosisId: string) =>
      new Promise<grpc.ServiceError>((resolve, reject) => client.explain({ diagnosisId }, (err) => (err ? resolve(err) : reject(new Error(`explained '${diagnosisId}'`)))));
    try {
      const empty = await explain('');
      expect([empty.code, empty.details]).toEqual([grpc.status.INVALID_ARGUMENT, "'diagnosis_id' must not be empty (a diagnosis id, dg_…: x0 events --type diagnosis)"]);
      const unknown = await explain('dg_nosuch');
      expect([unknown.code, unknown.details]).toEqual([
        grpc.status.NOT_FOUND,
        "diagnosis 'dg_nosuch' not found: analyze keeps the last 50 diagnoses it made since it started (ANALYZE_EXPLAIN_CACHE), and none with this id; x0 audit and x0 events --type diagnosis show older ones",
      ]);
    } finally {
      client.close();
      await svc.stop();
    }
  }, 30_000);
});
