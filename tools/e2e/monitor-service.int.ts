import * as grpc from '@grpc/grpc-js';
import { connectBus, openKeyValue, publishMessage, toKvKey, type Bus } from '@x0/bus';
import { startNatsServer, type NatsServerProcess } from '@x0/bus/testing';
import { DEAD_LETTER_CODEC, EVENT_CODECS, METRIC_BATCH_CODEC, STREAMS, Severity, type Anomaly } from '@x0/contracts';
import { createServiceClients, publishMetrics, serviceAddresses, type ServiceClients } from '@x0/client';
import { healthyValues, applyFault, rng } from '@x0/demo';
import { SIGNATURE_DIM } from '@x0/anomaly';
import { runService, type ServiceHandle } from '@x0/service-kit';
import { MONITOR_INCIDENT_TTL_MS, MONITOR_INCIDENTS_BUCKET, MONITOR_STATE_BUCKET, monitorService } from '@x0/monitor-service';


async function streamEvents(bus: Bus, stream: string, prefix: string): Promise<Array<{ subject: string; data: Uint8Array }>> {
  const info = await bus.jsm.streams.info(stream);
  const out = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await bus.jsm.streams.getMessage(stream, { seq }).catch(() => undefined);
    if (m && m.subject.startsWith(prefix)) out.push({ subject: m.subject, data: m.data });
  }
  return out;
}

async function until<T>(fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('monitor service', () => {
  let nats: NatsServerProcess;
  let bus: Bus;
  let handle: ServiceHandle;
  let clients: ServiceClients;
  const monitor = () => clients.monitor;
  const open = () => createServiceClients({ ...serviceAddresses(), monitor: `127.0.0.1:${handle.grpcPort}` });
  const env = () => ({ NATS_URL: nats.url, GRPC_PORT: '0', METRICS_PORT: '0', GRPC_HOST: '127.0.0.1', LOG_LEVEL: 'silent', MONITOR_WARMUP_SAMPLES: '150', MONITOR_SNAPSHOT_INTERVAL_S: '1' });
  const rand = rng(3);
  let t = Date.now() - 600_000;
  // Healthy web metrics without the demo's hourly cycle: with it, whether an incident cleared
  // depended on the minute of the hour the test ran at (healthy CPU on a rising cycle stayed
  // above the pre-incident normal frozen minutes earlier).
  const healthy = () => healthyValues('web', t / 1000, rand, Infinity);

  async function publish(component: string, values: Record<string, number>, n = 1) {
    const samples = [];
    for (let i = 0; i < n; i++) {
      t += 1000;
      for (const [metric, value] of Object.entries(values)) samples.push({ metric, value, timeMs: t });
    }
    return publishMetrics(bus, component, samples, { kind: 'web', timeMs: t });
  }

  async function history(component: string, points: number) {
    for (let i = 0; i < points; i += 50) {
      const samples = [];
      for (let j = 0; j < 50; j++) {
        t += 1000;
        for (const [metric, value] of Object.entries(healthy())) samples.push({ metric, value, timeMs: t });
      }
      await publishMetrics(bus, component, samples, { kind: 'web', timeMs: t });
    }
  }

  /**
   * Waits until the component's stored snapshot is from after its latest sample: stored, and
   * not rewritten for 1.5 snapshot intervals (a snapshot is written only after new samples).
   * (Waiting for a revision newer than the one read once missed a snapshot written just before.)
   */
  async function quietSnapshot(component: string) {
    const kv = await openKeyValue(bus, MONITOR_STATE_BUCKET);
    let seen = { revision: 0, at: Date.now() };
    await until(async () => {
      const revision = (await kv.get(toKvKey(component)))?.revision ?? 0;
      if (revision !== seen.revision) seen = { revision, at: Date.now() };
      return revision > 0 && Date.now() - seen.at >= 1500 ? true : undefined;
    });
  }

  beforeAll(async () => {
    nats = await startNatsServer();
    bus = await connectBus({ url: nats.url, name: 'monitor-test' });
    handle = await runService(monitorService, { env: env(), handleSignals: false });
    clients = open();
  }, 30_000);

  afterAll(async () => {
    clients?.close();
    await handle?.stop();
    await bus?.drain();
    await nats?.stop();
  });

  it('learns a baseline, then opens one incident for a persistent fault with the metrics involved and a signature', async () => {
    await history('web-1', 300);
    const status = await until(async () => {
      const s = await monitor().getComponentStatus({ component: 'web-1' }).catch(() => undefined);
      return s && s.samplesSeen >= 300 ? s : undefined;
    });
    expect(status.phase).toBe('scoring');

    let faulty = healthy();
    for (let i = 0; i < 10; i++) {
      faulty = applyFault('cpu_saturation', healthy(), 10);
      await publish('web-1', faulty);
    }
    const anomalies = await until(async () => {
      const a = await streamEvents(bus, STREAMS.events.name, 'x0.events.anomaly.web-1');
      return a.length > 0 ? a.map((x) => EVENT_CODECS.anomaly.decode(x.data)) : undefined;
    });
    // One incident, however many faulty samples.
    await new Promise((r) => setTimeout(r, 500));
    expect((await streamEvents(bus, STREAMS.events.name, 'x0.events.anomaly.web-1')).length).toBe(1);
    const a: Anomaly = anomalies[0];
    expect(a.meta).toMatchObject({ component: 'web-1', source: 'monitor' });
    expect(a.meta!.parentId).toMatch(/^mb_/);
    expect(a.severity).toBeGreaterThanOrEqual(Severity.SEVERITY_MEDIUM);
    expect(a.metrics[0].metric).toBe('cpu');
    expect(a.metrics[0].expected).toBeLessThan(0.5);
    expect(a.signature).toHaveLength(SIGNATURE_DIM);
    expect(a.signature.slice(SIGNATURE_DIM / 2).some((v) => v !== 0)).toBe(true);
    expect(a.kind).toBe('web');

    const listed = await monitor().listAnomalies({ component: 'web-1', minSeverity: Severity.SEVERITY_LOW, limit: 10, incidentId: '' });
    expect(listed.anomalies.map((x) => x.meta!.id)).toEqual([a.meta!.id]);
    // by incident: the opening anomaly's id names it
    const byIncident = await monitor().listAnomalies({ component: '', minSeverity: Severity.SEVERITY_UNSPECIFIED, limit: 0, incidentId: a.meta!.id });
    expect(byIncident.anomalies.map((x) => x.meta!.id)).toEqual([a.meta!.id]);
    expect((await monitor().listAnomalies({ component: '', minSeverity: Severity.SEVERITY_UNSPECIFIED, limit: 0, incidentId: 'an_none' })).anomalies).toEqual([]);
    const info = await monitor().getDetectorInfo({});
    expect(['tensorflow', 'wasm', 'cpu']).toContain(info.backend);
    expect(info.samplesSeen).toBeGreaterThanOrEqual(310);
  }, 60_000);

  it('a lasting fault is not learnt as normal: when its incident clears, the baseline is the one from before', async () => {
    const status = () => monitor().getComponentStatus({ component: 'web-3' });
    const cpuOf = async () => (await status()).metrics.find((m) => m.metric === 'cpu')!;
    await history('web-3', 300);
    await until(async () => ((await status().catch(() => undefined))?.samplesSeen ?? 0) >= 300 || undefined);
    const before = await cpuOf();
    // the state an incident goes back to is the latest periodic snapshot taken in quiet: wait for one
    await quietSnapshot('web-3');
    // a fault that lasts (an action waiting for approval): 120 samples, one incident (the monitor
    // scores a whole batch before its incident gate sees it, and under load many of these
    // messages arrive in one batch)
    for (let i = 0; i < 120; i++) await publish('web-3', applyFault('cpu_saturation', healthy(), 10));
    const lastFault = t;
    await until(async () => ((await status()).lastSampleMs >= lastFault || undefined));
    const during = await cpuOf();
    expect(during.mean - before.mean).toBeGreaterThan(0.1); // the detector kept learning while it lasted
    const incidents = async () => (await streamEvents(bus, STREAMS.events.name, 'x0.events.anomaly.web-3')).length;
    const opened = await until(async () => ((await incidents()) >= 1 ? incidents() : undefined));
    // recovery: the incident clears after MONITOR_CLEAR_SAMPLES (5) calm samples, and the fault is forgotten
    for (let i = 0; i < 10; i++) await publish('web-3', healthy());
    const after = await until(async () => {
      const cpu = await cpuOf();
      return Math.abs(cpu.mean - before.mean) < 0.02 ? cpu : undefined;
    }, 10_000);
    expect(after.stddev).toBeLessThan(before.stddev * 1.2);
    // and the same fault again is a new incident
    for (let i = 0; i < 5; i++) await publish('web-3', applyFault('cpu_saturation', healthy(), 10));
    await until(async () => ((await incidents()) > opened || undefined));
  }, 60_000);

  it('restart during a lasting fault - the incident goes on under its id and counts its announcements on, and when it clears the baseline is the one from before the fault', async () => {
    const status = () => monitor().getComponentStatus({ component: 'web-4' });
    const cpuOf = async () => (await status()).metrics.find((m) => m.metric === 'cpu')!;
    await history('web-4', 300);
    await until(async () => ((await status().catch(() => undefined))?.samplesSeen ?? 0) >= 300 || undefined);
    const before = await cpuOf();
    await quietSnapshot('web-4');
    // 130 samples (a second each): past MONITOR_REALERT_S (120 sample-seconds) once, so the
    // incident is announced, then re-announced once before the restart
    for (let i = 0; i < 130; i++) await publish('web-4', applyFault('cpu_saturation', healthy(), 10));
    let lastFault = t;
    await until(async () => ((await status()).lastSampleMs >= lastFault || undefined));
    const announced = async () => (await streamEvents(bus, STREAMS.events.name, 'x0.events.anomaly.web-4')).map((x) => EVENT_CODECS.anomaly.decode(x.data));
    const incidents = async () => (await announced()).length;
    const [first, second] = await until(async () => ((await incidents()) >= 2 ? announced() : undefined));
    const incidentId = first.meta!.id;
    expect(first).toMatchObject({ incidentId, incidentStartMs: first.meta!.timeMs, announcement: 1 });
    expect(second.meta!.id).not.toBe(incidentId);
    expect(second).toMatchObject({ incidentId, incidentStartMs: first.meta!.timeMs, announcement: 2 });
    const during = await cpuOf();
    expect(during.mean - before.mean).toBeGreaterThan(0.1);

    clients.close();
    await handle.stop();
    // the open incident, its id and count, and the state from before it are in KV
    const stored = await (await openKeyValue(bus, MONITOR_INCIDENTS_BUCKET)).get(toKvKey('web-4'));
    expect(stored?.operation).toBe('PUT');
    expect(stored!.json<{ incident: object }>().incident).toMatchObject({ anomalyId: second.meta!.id, incidentId, incidentStartMs: first.meta!.timeMs, announcement: 2 });
    handle = await runService(monitorService, { env: env(), handleSignals: false });
    clients = open();
    expect((await monitor().getStatistics({})).gauges['monitor_open_incidents']).toBeGreaterThanOrEqual(1);
    expect((await cpuOf()).mean).toBeCloseTo(during.mean, 6); // the restored detector still holds what it learnt

    // the fault goes on: the same incident, not a new one, re-announced after MONITOR_REALERT_S
    // as its third announcement
    for (let i = 0; i < 125; i++) await publish('web-4', applyFault('cpu_saturation', healthy(), 10));
    lastFault = t;
    await until(async () => ((await status()).lastSampleMs >= lastFault || undefined));
    const third = (await until(async () => ((await incidents()) >= 3 ? announced() : undefined)))[2];
    expect(third.meta!.timeMs - second.meta!.timeMs).toBeGreaterThanOrEqual(120_000);
    expect(third).toMatchObject({ incidentId, incidentStartMs: first.meta!.timeMs, announcement: 3 });
    // Every announcement carries the window's shape (the second half of the signature), also one
    // made on a sample the detector did not flag itself (before: all zero then).
    expect((await announced()).map((x) => x.signature.slice(SIGNATURE_DIM / 2).some((v) => v !== 0))).toEqual([true, true, true]);
    // (ListAnomalies holds what this monitor announced since it started)
    const listed = await monitor().listAnomalies({ component: '', minSeverity: Severity.SEVERITY_UNSPECIFIED, limit: 0, incidentId });
    expect(listed.anomalies.map((a) => [a.meta!.id, a.announcement])).toEqual([[third.meta!.id, 3]]);
    // recovery: the incident clears and the detector goes back to its state from before the fault
    for (let i = 0; i < 10; i++) await publish('web-4', healthy());
    const after = await until(async () => {
      const cpu = await cpuOf();
      return Math.abs(cpu.mean - before.mean) < 0.02 ? cpu : undefined;
    }, 10_000);
    expect(after.stddev).toBeLessThan(before.stddev * 1.2);
    expect(await incidents()).toBe(3);
    // the record goes with the incident (deleted at the next snapshot, MONITOR_SNAPSHOT_INTERVAL_S=1)
    const incidentsKv = await openKeyValue(bus, MONITOR_INCIDENTS_BUCKET);
    await until(async () => ((await incidentsKv.get(toKvKey('web-4')))?.operation === 'PUT' ? undefined : true));
  }, 120_000);

  it('NaN and Infinity samples are dead-lettered with the reason; the rest of the batch is scored', async () => {
    const before = (await monitor().getComponentStatus({ component: 'web-1' })).samplesSeen;
    // @x0/client refuses NaN itself, so publish the raw protobuf as a careless exporter would.
    t += 1000;
    const raw = METRIC_BATCH_CODEC.encode({ id: 'mb_nan', component: 'web-1', timeMs: t, labels: {}, samples: [{ metric: 'cpu', value: 0.31, timeMs: t }, { metric: 'mem_mb', value: NaN, timeMs: t }, { metric: 'rps', value: Infinity, timeMs: t }] });
    await publishMessage(bus.js, { subject: 'x0.metrics.web-1', data: raw, id: 'mb_nan' });
    const letters = await until(async () => {
      const d = await streamEvents(bus, STREAMS.dlq.name, 'x0.dlq.monitor');
      return d.length > 0 ? d.map((x) => DEAD_LETTER_CODEC.decode(x.data)) : undefined;
    });
    expect(letters[0].reason).toBe("'samples[1].value' must be finite, got NaN; 'samples[2].value' must be finite, got Infinity");
    const after = await until(async () => {
      const s = await monitor().getComponentStatus({ component: 'web-1' });
      return s.samplesSeen > before ? s : undefined;
    });
    expect(after.metrics.find((m) => m.metric === 'cpu')!.lastValue).toBeCloseTo(0.31, 5);
  }, 30_000);

  async function deadLetterFor(subject: string) {
    return until(async () => {
      const d = await streamEvents(bus, STREAMS.dlq.name, 'x0.dlq.monitor');
      return d.map((x) => DEAD_LETTER_CODEC.decode(x.data)).find((l) => l.subject === subject);
    });
  }

  it.each([
    ['compact', 'json-compact', '{"metrics":{"cpu":0.5,"mem":1e400}}'],
    ['samples', 'json-samples', '{"samples":[{"metric":"cpu","value":0.5},{"metric":"mem","value":1e400}]}'],
  ])('JSON %s form - an Infinity value (1e400) dead-letters that sample with the protobuf reason; the rest of the batch is scored', async (_form, component, payload) => {
    const subject = `x0.metrics.${component}`;
    await publishMessage(bus.js, { subject, data: new TextEncoder().encode(payload), id: `inf-${component}` });
    const letter = await deadLetterFor(subject);
    expect(letter.reason).toBe("'samples[1].value' must be finite, got Infinity");
    expect(Buffer.from(letter.payload).toString()).toBe(payload);
    const status = await until(async () => {
      const s = await monitor().getComponentStatus({ component }).catch(() => undefined);
      return s && s.samplesSeen > 0 ? s : undefined;
    });
    expect(status.samplesSeen).toBe(1);
    expect(status.metrics.map((m) => [m.metric, m.lastValue])).toEqual([['cpu', 0.5]]);
  }, 30_000);

  it('a sample timed far ahead (microseconds) is dead-lettered with the reason, and the component goes on scoring correct samples', async () => {
    const subject = 'x0.metrics.clock-skew';
    const usec = Date.now() * 1000;
    const skewed = `{"samples":[{"metric":"cpu","value":0.5,"time_ms":${usec}}]}`;
    await publishMessage(bus.js, { subject, data: new TextEncoder().encode(skewed), id: 'skew-1' });
    const letter = await deadLetterFor(subject);
    expect(letter.reason).toMatch(new RegExp(`^'samples' has no valid sample: 'samples\\[0\\].time_ms' ${usec} is [\\d,]+ days ahead of the receiver's clock \\(at most 86400 s\\)`));
    // Before, the skewed time became the component's latest, and every correct sample after it was refused.
    await publishMessage(bus.js, { subject, data: new TextEncoder().encode(`{"samples":[{"metric":"cpu","value":0.51,"time_ms":${Date.now()}}]}`), id: 'skew-2' });
    const status = await until(async () => {
      const st = await monitor().getComponentStatus({ component: 'clock-skew' }).catch(() => undefined);
      return st && st.samplesSeen > 0 ? st : undefined;
    });
    expect(status.metrics.map((m) => m.metric)).toEqual(['cpu']);
    expect(status.metrics[0].lastValue).toBeCloseTo(0.51, 5);
  }, 30_000);

  it('metrics beyond the 40 a component may have are dead-lettered with the reason; the first 40 are scored', async () => {
    const subject = 'x0.metrics.wide';
    const metrics = Object.fromEntries(Array.from({ length: 45 }, (_, i) => [`m${String(i).padStart(2, '0')}`, i]));
    const payload = JSON.stringify({ metrics });
    await publishMessage(bus.js, { subject, data: new TextEncoder().encode(payload), id: 'wide-1' });
    const letter = await deadLetterFor(subject);
    expect(letter.reason).toBe("component 'wide' already has 40 metrics, the most one component may have: m40, m41, m42, m43, m44 not scored (split the metrics over several components)");
    const status = await until(async () => {
      const st = await monitor().getComponentStatus({ component: 'wide' }).catch(() => undefined);
      return st && st.samplesSeen > 0 ? st : undefined;
    });
    expect(status.metrics).toHaveLength(40);
  }, 30_000);

  it('unreadable payloads - the reason names the accepted forms, or that NaN is not JSON', async () => {
    await publishMessage(bus.js, { subject: 'x0.metrics.text-1', data: new TextEncoder().encode('cpu 0.5'), id: 'text-1' });
    expect((await deadLetterFor('x0.metrics.text-1')).reason).toBe(
      `'payload' must be an x0.v1.MetricBatch protobuf or a JSON object ({"metrics":{...}} or {"samples":[...]}); as protobuf: illegal tag: field no 5 wire type 6`,
    );
    await publishMessage(bus.js, { subject: 'x0.metrics.nan-1', data: new TextEncoder().encode('{"metrics":{"cpu":0.5,"mem":NaN}}'), id: 'nan-1' });
    expect((await deadLetterFor('x0.metrics.nan-1')).reason).toMatch(/^'payload' is not valid JSON \(NaN and Infinity are not JSON values\): /);
  }, 30_000);

  it('restart - the detector state comes back from KV: no relearning', async () => {
    const before = await monitor().getComponentStatus({ component: 'web-1' });
    clients.close();
    await handle.stop();
    handle = await runService(monitorService, { env: env(), handleSignals: false });
    clients = open();
    const after = await monitor().getComponentStatus({ component: 'web-1' });
    expect(after.phase).toBe('scoring');
    expect(after.samplesSeen).toBe(before.samplesSeen);
    expect(after.metrics.find((m) => m.metric === 'cpu')!.mean).toBeCloseTo(before.metrics.find((m) => m.metric === 'cpu')!.mean, 6);
  }, 30_000);

  it('open-incident records expire - the bucket has a TTL (a component gone quiet during its incident is not resumed forever)', async () => {
    const kv = await openKeyValue(bus, MONITOR_INCIDENTS_BUCKET);
    const { config } = (await kv.status()).streamInfo;
    expect(config.max_age / 1e6).toBe(MONITOR_INCIDENT_TTL_MS);
    expect(config.max_msgs_per_subject).toBe(1);
  });

  it('unknown component - NOT_FOUND', async () => {
    await expect(monitor().getComponentStatus({ component: 'nope' })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND, details: "component 'nope' not found" });
  });

  it('a name that cannot be a component - INVALID_ARGUMENT saying why, for the status and the anomaly filter', async () => {
    const why = (name: string) => `'component' must be a component name (no '.', '*', '>' or whitespace, at most 128 characters), got ${JSON.stringify(name)}`;
    await expect(monitor().getComponentStatus({ component: '' })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: why('') });
    await expect(monitor().listAnomalies({ component: 'bad comp', minSeverity: Severity.SEVERITY_UNSPECIFIED, limit: 0, incidentId: '' })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: why('bad comp'),
    });
  });
});
