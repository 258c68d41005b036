import { createAnomalyDetector, type AnomalyDetector } from '@x0/anomaly';
import type { Bus, Delivery } from '@x0/bus';
import { COMPONENT_HEALTH_CODEC, EVENT_CODECS, type Anomaly, type ComponentHealth, type MetricBatch } from '@x0/contracts';
import { gaussian, seededRandom } from '@x0/core';
import { createLogger, type ServiceStats } from '@x0/service-kit';
import { DEFAULT_INCIDENT_GATE } from './incident-gate';
import { MonitorRuntime } from './monitor-runtime';

// A queue like the demo's: five metrics at 5 Hz, each with its level and noise (fraction of the level).
const QUEUE = { cpu: [0.25, 0.04], queue_depth: [40, 0.1], consumer_lag_s: [0.5, 0.1], error_rate: [0.005, 0.2], rps: [500, 0.04] } as const;
const STEP_MS = 200;
const START_MS = Date.UTC(2026, 0, 1);

/** A bus the runtime never touches in `handleBatch` (its health publishing sees a closed connection). */
const closedBus = { nc: { isClosed: () => true, isDraining: () => false } } as unknown as Bus;

/** A bus whose core-NATS publishes (the ComponentHealth statuses) are kept, decoded. */
function statusBus(): { bus: Bus; statuses: ComponentHealth[] } {
  const statuses: ComponentHealth[] = [];
  const nc = { isClosed: () => false, isDraining: () => false, publish: (_subject: string, data: Uint8Array) => statuses.push(COMPONENT_HEALTH_CODEC.decode(data)) };
  return { bus: { nc } as unknown as Bus, statuses };
}

function runtime(detector: AnomalyDetector, bus: Bus = closedBus): MonitorRuntime {
  return new MonitorRuntime({
    bus,
    logger: createLogger('monitor', 'silent'),
    stats: {} as ServiceStats,
    detector,
    gate: { ...DEFAULT_INCIDENT_GATE, realertMs: 45_000 },
    snapshotIntervalMs: 30_000,
    statusIntervalMs: 1000,
    maxBatch: 512,
    consumer: { ackWaitMs: 30_000, maxDeliver: 5 },
  });
}

/** One delivery per sample of `component`; after `faultAt` a dead dependency: rps ×0.05, error_rate +0.4. */
function deliveries(component: string, n: number, faultAt: number): Delivery<MetricBatch>[] {
  const rand = seededRandom(7);
  return Array.from({ length: n }, (_, i) => {
    const timeMs = START_MS + i * STEP_MS;
    const samples = Object.entries(QUEUE).map(([metric, [level, noise]]) => {
      let value = Math.max(0, level * (1 + noise * gaussian(rand)));
      if (i >= faultAt && metric === 'rps') value *= 0.05;
      if (i >= faultAt && metric === 'error_rate') value += 0.4;
      return { metric, value, timeMs };
    });
    const value: MetricBatch = { id: `mb-${i}`, component, timeMs, samples, labels: { kind: 'queue' } };
    return { value, subject: `x0.metrics.${component}`, streamSeq: i + 1, deliveries: 1, header: () => '' };
  });
}

/** Hands the runtime one second of samples at a time, its clock at the samples' time (it caches baselines for a second). */
function announced(rt: MonitorRuntime, items: Delivery<MetricBatch>[]): Anomaly[] {
  const out: Anomaly[] = [];
  const clock = jest.spyOn(Date, 'now');
  for (let i = 0; i < items.length; i += 5) {
    const batch = items.slice(i, i + 5);
    clock.mockReturnValue(batch[batch.length - 1].value.timeMs);
    for (const r of rt.handleBatch(batch)) {
      if (r.type === 'ok') for (const o of r.outputs ?? []) out.push(EVENT_CODECS.anomaly.decode(o.data));
    }
  }
  return out;
}

describe('MonitorRuntime', () => {
  let detector: AnomalyDetector;
  beforeEach(async () => {
    detector = await createAnomalyDetector({ warmupSamples: 300, forecaster: 'naive', backend: 'cpu' });
  });
  afterEach(() => {
    jest.restoreAllMocks();
    detector.dispose();
  });

  it('re-announcement - names the metrics that started the incident, against their normal from before it', () => {
    // A component with a short history (the demo with --backfill 0): its detector's baseline
    // learns quickly from the fault, so by the re-announcement 45 s later it no longer sees
    // rps and error_rate as off normal.
    const rt = runtime(detector);
    const anomalies = announced(rt, deliveries('q1', 350 + 240, 350));
    expect(anomalies).toHaveLength(2);
    const [onset, again] = anomalies;
    const top2 = (a: Anomaly) => a.metrics.slice(0, 2).map((m) => m.metric).sort();
    expect(top2(onset)).toEqual(['error_rate', 'rps']);
    expect(again.meta!.timeMs - onset.meta!.timeMs).toBeGreaterThanOrEqual(45_000);
    expect(top2(again)).toEqual(['error_rate', 'rps']);
    const byName = new Map(again.metrics.map((m) => [m.metric, m]));
    // Expected is the normal from before the incident, not what the detector has learnt since.
    expect(byName.get('rps')!.expected).toBeCloseTo(onset.metrics.find((m) => m.metric === 'rps')!.expected, 6);
    expect(byName.get('rps')!.expected).toBeGreaterThan(450);
    expect(byName.get('rps')!.score).toBeGreaterThan(0.9);
    expect(byName.get('error_rate')!.expected).toBeLessThan(0.01);
    expect(byName.get('error_rate')!.score).toBeGreaterThan(0.9);
    // The metrics that did not move are still measured against the current baseline.
    expect(byName.get('consumer_lag_s')!.score).toBeLessThan(0.5);
  });

  it('announcements name their incident - the opening one is its own (announcement 1), a re-announcement keeps its id and start (2, 3, …)', () => {
    const { bus, statuses } = statusBus();
    const rt = runtime(detector, bus);
    const anomalies = announced(rt, deliveries('q1', 350 + 480, 350));
    expect(anomalies).toHaveLength(3);
    const [onset, second, third] = anomalies;
    expect(onset).toMatchObject({ incidentId: onset.meta!.id, incidentStartMs: onset.meta!.timeMs, announcement: 1 });
    for (const [a, n] of [[second, 2], [third, 3]] as const) {
      expect(a.meta!.id).not.toBe(onset.meta!.id);
      expect(a).toMatchObject({ incidentId: onset.meta!.id, incidentStartMs: onset.meta!.timeMs, announcement: n });
    }
    // ListAnomalies keeps them (newest first); ComponentHealth names the latest announcement
    expect(rt.recentAnomalies().map((a) => a.announcement)).toEqual([3, 2, 1]);
    expect(rt.gate.openAnomaly('q1')).toBe(third.meta!.id);
    // Its statuses name the incident too: before it, none; then the latest announcement and the incident it belongs to.
    expect(statuses[0]).toMatchObject({ component: 'q1', openAnomalyId: '', openIncidentId: '' });
    expect(statuses[statuses.length - 1]).toMatchObject({ component: 'q1', openAnomalyId: third.meta!.id, openIncidentId: onset.meta!.id });
  });

  describe('persist', () => {
    /** A KV bucket in memory; `fail` makes puts of matching keys throw, `gate` holds each write until released. */
    class FakeKv {
      readonly data = new Map<string, unknown>();
      readonly log: string[] = [];
      fail?: (key: string) => boolean;
      gate?: Promise<void>;
      constructor(private readonly name: string) {}
      async put(key: string, value: unknown): Promise<number> {
        this.log.push(`${this.name} put ${key} start`);
        if (this.gate) await this.gate;
        if (this.fail?.(key)) throw new Error('bucket closed');
        this.data.set(key, value);
        this.log.push(`${this.name} put ${key} end`);
        return 1;
      }
      async delete(key: string): Promise<void> {
        this.log.push(`${this.name} delete ${key}`);
        this.data.delete(key);
      }
    }
    interface Internals {
      store: { kv?: unknown };
      incidents: { kv?: unknown };
      persist(): Promise<number>;
    }

    /** A runtime with in-memory buckets, after q1's incident has opened (q2 stays healthy). */
    function withBuckets() {
      const rt = runtime(detector);
      const state = new FakeKv('state');
      const incidents = new FakeKv('incidents');
      const inside = rt as unknown as Internals;
      inside.store.kv = state;
      inside.incidents.kv = incidents;
      const onset = announced(rt, [...deliveries('q1', 360, 350), ...deliveries('q2', 360, Infinity)]);
      expect(onset.map((a) => a.meta!.component)).toEqual(['q1']);
      return { rt, inside, state, incidents };
    }

    it('a failed incident-record write - the component keeps its previous snapshot until the record is stored', async () => {
      const { inside, state, incidents } = withBuckets();
      incidents.fail = (key) => key === 'q1';
      await inside.persist();
      // q1 learnt from the fault: without its record (the state from before it), no snapshot
      expect(incidents.data.has('q1')).toBe(false);
      expect(state.data.has('q1')).toBe(false);
      expect(state.data.has('q2')).toBe(true);

      incidents.fail = undefined;
      await inside.persist();
      expect(incidents.data.has('q1')).toBe(true);
      expect(state.data.has('q1')).toBe(true);
      expect(state.log.indexOf('state put q1 start')).toBeGreaterThan(-1);
      expect(incidents.log.indexOf('incidents put q1 end')).toBeGreaterThan(-1);
    });

    it('concurrent persists - each starts when the one before has ended; stop waits for them', async () => {
      const { rt, inside, state, incidents } = withBuckets();
      const log: string[] = [];
      state.log.push = incidents.log.push = (...items: string[]) => log.push(...items);
      let release!: () => void;
      state.gate = new Promise<void>((r) => (release = r));
      const first = inside.persist();
      await new Promise((r) => setTimeout(r, 20));
      expect(log).toContain('state put q2 start');
      // the second round has something to write: q1's incident is announced again
      (rt as unknown as { incidents: { markOpen(c: string): void } }).incidents.markOpen('q1');
      const second = inside.persist();
      const stopped = rt.stop();
      await new Promise((r) => setTimeout(r, 20));
      // the first round is held in its snapshot writes: nothing of the second has started
      expect(log.filter((l) => l === 'incidents put q1 start')).toHaveLength(1);
      let stopDone = false;
      void stopped.then(() => (stopDone = true));
      await new Promise((r) => setTimeout(r, 20));
      expect(stopDone).toBe(false);
      release();
      state.gate = undefined;
      await Promise.all([first, second, stopped]);
      const firstEnd = log.lastIndexOf('state put q2 end');
      const secondStart = log.lastIndexOf('incidents put q1 start');
      expect(firstEnd).toBeGreaterThan(-1);
      expect(secondStart).toBeGreaterThan(firstEnd);
      expect(log.filter((l) => l === 'incidents put q1 start')).toHaveLength(2);
    });
  });
});
