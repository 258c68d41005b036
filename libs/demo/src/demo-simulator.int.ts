import { connectBus, provisionStreams, type Bus } from '@x0/bus';
import { startNatsServer, waitFor, type NatsServerProcess } from '@x0/bus/testing';
import { METRIC_BATCH_CODEC } from '@x0/contracts';
import { DemoSimulator, type DemoEvent } from './demo-simulator';

describe('DemoSimulator', () => {
  let nats: NatsServerProcess;
  let bus: Bus;
  beforeAll(async () => {
    nats = await startNatsServer();
    bus = await connectBus({ url: nats.url, name: 'demo-test' });
    await provisionStreams(bus.jsm);
  });
  afterAll(async () => {
    await bus.drain();
    await nats.stop();
  });

  it('firstFault - the first fault is of the kind asked for, on a component it fits, whatever the seed', async () => {
    for (const seed of [1, 2, 3]) {
      const faults: DemoEvent[] = [];
      // queue_backlog moves queue_depth, which only the queue component has.
      const sim = new DemoSimulator({ bus, seed, rateHz: 1, firstFaultAfterS: 0.05, faultEveryS: 3600, firstFault: 'queue_backlog', onEvent: (e) => e.type === 'fault' && faults.push(e) });
      await sim.start();
      await waitFor(() => faults.length > 0 || undefined, 5000, 'the first fault');
      sim.stop();
      expect(faults[0]).toMatchObject({ type: 'fault', component: 'demo-queue', fault: 'queue_backlog' });
    }
  });

  it('faultKinds - a fault that fits one component is injected there, whatever the seed (it was drawn after the component and mostly skipped)', async () => {
    for (const seed of [1, 2, 3, 4]) {
      const faults: DemoEvent[] = [];
      // disk_full moves disk_used, which only the database has; the first fault is drawn like the others.
      const sim = new DemoSimulator({ bus, seed, rateHz: 1, firstFaultAfterS: 0.05, faultEveryS: 3600, faultKinds: ['disk_full'], onEvent: (e) => e.type === 'fault' && faults.push(e) });
      await sim.start();
      await waitFor(() => faults.length > 0 || undefined, 5000, 'the first fault');
      sim.stop();
      expect(faults[0]).toMatchObject({ type: 'fault', component: 'demo-db', fault: 'disk_full' });
    }
  });

  it('faultKinds - refuses faults that fit none of the components', () => {
    expect(() => new DemoSimulator({ bus, components: [{ name: 'w', kind: 'web' }], faultKinds: ['disk_full', 'queue_backlog'] })).toThrow(
      "'faultKinds' fit none of the components (w: web): disk_full, queue_backlog",
    );
    expect(() => new DemoSimulator({ bus, components: [{ name: 'w', kind: 'web' }], firstFault: 'disk_full' })).toThrow("'firstFault' fits none of the components (w: web): disk_full");
  });

  it('backfill - publishes history only after the time the monitor already has for each component', async () => {
    const seen = new Map<string, number[]>();
    const sub = bus.nc.subscribe('x0.metrics.>', {
      callback: (_e, m) => {
        const batch = METRIC_BATCH_CODEC.decode(m.data);
        const times = seen.get(batch.component) ?? [];
        for (const s of batch.samples) times.push(Number(s.timeMs));
        seen.set(batch.component, times);
      },
    });
    const now = Date.now();
    const known: Record<string, number> = { 'demo-web': now - 30_000, 'demo-db': now + 60_000 };
    const published = await new DemoSimulator({ bus, rateHz: 1, faultEveryS: 3600, firstFaultAfterS: 3600, backfillAfter: async (c) => known[c] ?? 0 }).backfill(90);
    await bus.nc.flush();
    sub.unsubscribe();
    const web = seen.get('demo-web')!;
    expect(Math.min(...web)).toBeGreaterThan(known['demo-web']);
    expect(new Set(web).size).toBeLessThanOrEqual(30);
    expect(seen.has('demo-db')).toBe(false); // everything is older than what the monitor has
    expect(new Set(seen.get('demo-queue')).size).toBe(90); // unknown to the monitor: the whole history
    expect(published).toBe(web.length + seen.get('demo-queue')!.length);
  });

  it('drift - from afterS on, the component publishes with its new dynamics for good, announced once; the others as before', async () => {
    const latency = new Map<string, Array<{ t: number; v: number }>>();
    const sub = bus.nc.subscribe('x0.metrics.>', {
      callback: (_e, m) => {
        const batch = METRIC_BATCH_CODEC.decode(m.data);
        const list = latency.get(batch.component) ?? [];
        for (const s of batch.samples) if (s.metric === 'latency_ms') list.push({ t: Number(s.timeMs), v: s.value });
        latency.set(batch.component, list);
      },
    });
    const events: DemoEvent[] = [];
    const sim = new DemoSimulator({ bus, seed: 5, rateHz: 50, faultEveryS: 3600, firstFaultAfterS: 3600, drift: { component: 'demo-db', kind: 'quiet', afterS: 1 }, onEvent: (e) => events.push(e) });
    const started = Date.now();
    await sim.start();
    await new Promise((r) => setTimeout(r, 2500));
    sim.stop();
    await bus.nc.flush();
    sub.unsubscribe();
    expect(events.filter((e) => e.type === 'drift')).toEqual([{ type: 'drift', component: 'demo-db', drift: 'quiet', timeMs: expect.any(Number) }]);
    /** Spread of the steps between consecutive samples, before and after the drift began. */
    const stepSpread = (component: string, after: boolean) => {
      const xs = latency.get(component)!.filter((x) => (x.t >= started + 1200) === after && (after || x.t < started + 900)).map((x) => x.v);
      const steps = xs.slice(1).map((v, i) => v - xs[i]);
      return Math.sqrt(steps.reduce((a, d) => a + d * d, 0) / steps.length);
    };
    expect(stepSpread('demo-db', true)).toBeLessThan(stepSpread('demo-db', false) / 4);
    expect(stepSpread('demo-web', true)).toBeGreaterThan(stepSpread('demo-web', false) / 2);
    expect(() => new DemoSimulator({ bus, drift: { component: 'nope', kind: 'quiet', afterS: 0 } })).toThrow("'drift' names no demo component: \"nope\" (the components are demo-web, demo-db, demo-queue)");
  });
});
