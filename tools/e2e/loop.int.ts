/**
 * The whole loop, end to end: the six services as real processes on a real nats-server, a
 * simulated component with an agent, one injected fault. An Outcome must arrive whose chain
 * of parent ids leads back, through action, plan, diagnosis and anomaly, to a metric batch
 * the component published; and the services answer over gRPC.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectBus, type Bus } from '@x0/bus';
import { startNatsServer, type NatsServerProcess } from '@x0/bus/testing';
import { STREAMS } from '@x0/contracts';
import { X0Client } from '@x0/client';
import { DemoSimulator } from '@x0/demo';
import { Stack } from '../dev/stack';
import { EventLog } from './event-log';

describe('the loop, end to end', () => {
  let nats: NatsServerProcess;
  let stack: Stack;
  let bus: Bus;
  let log: EventLog;
  let sim: DemoSimulator;
  let client: X0Client;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'x0-e2e-'));
  const published = new Set<string>();

  beforeAll(async () => {
    nats = await startNatsServer();
    stack = new Stack({
      natsUrl: nats.url,
      dataDir,
      env: { LOG_LEVEL: 'warn', EXECUTE_VERIFY_WINDOW_S: '20', EXECUTE_VERIFY_HOLD_S: '1', X0_ACK_WAIT_S: '5' },
    });
    await stack.start(90_000);
    bus = await connectBus({ url: nats.url, name: 'e2e' });
    log = new EventLog(bus, Date.now() - 60_000);
    client = new X0Client({ natsUrl: nats.url, addresses: stack.addresses() });
    sim = new DemoSimulator({
      bus,
      components: [{ name: 'e2e-web', kind: 'web' }],
      rateHz: 10,
      backfillS: 60,
      firstFaultAfterS: 3600,
      faultEveryS: 3600,
      fixDelayMs: 300,
      seed: 7,
    });
    await sim.start();
  }, 120_000);

  afterAll(async () => {
    sim?.stop();
    await log?.stop();
    await client?.close();
    const codes = await stack?.stop();
    await bus?.drain();
    await nats?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    // Every service stops cleanly on SIGTERM.
    expect(Object.values(codes ?? {}).every((c) => c === 0)).toBe(true);
  }, 60_000);

  it('fault → anomaly → diagnosis → plan → action → outcome, chained back to a published metric batch', async () => {
    await new Promise((r) => setTimeout(r, 1500));
    sim.inject('e2e-web', 'cpu_saturation');
    const outcome = await log.waitFor((evs) => evs.find((e) => e.type === 'outcome' && e.component === 'e2e-web'), 90_000, 'an outcome for e2e-web');
    const { events, root } = log.chain(outcome.id);
    expect(events.map((e) => e.type)).toEqual(['outcome', 'action', 'plan', 'diagnosis', 'anomaly']);
    expect(events.every((e) => e.component === 'e2e-web')).toBe(true);

    // The root is the id of a metric batch in X0_METRICS (its Nats-Msg-Id).
    expect(root).toMatch(/^mb_/);
    const consumer = await bus.js.consumers.get(STREAMS.metrics.name, { filter_subjects: 'x0.metrics.e2e-web' });
    const msgs = await consumer.fetch({ max_messages: 10_000, expires: 3000 });
    for await (const m of msgs) {
      published.add(m.headers?.get('Nats-Msg-Id') ?? '');
      if (m.info.pending === 0) break;
    }
    expect(published.has(root)).toBe(true);

    const plan = events.find((e) => e.type === 'plan')!;
    expect((plan.event as { explanation?: { ranking?: unknown[] } }).explanation?.ranking?.length).toBeGreaterThan(0);
  }, 120_000);

  it('gRPC: six healthy services, and real answers from them', async () => {
    const health = await client.health();
    expect(health.map((h) => [h.service, h.status])).toEqual([
      ['monitor', 'SERVING'],
      ['analyze', 'SERVING'],
      ['plan', 'SERVING'],
      ['execute', 'SERVING'],
      ['knowledge', 'SERVING'],
      ['trainer', 'SERVING'],
    ]);
    const status = await client.services.monitor.getComponentStatus({ component: 'e2e-web' });
    expect(status.phase).toBe('scoring');
    const anomaly = log.events.find((e) => e.type === 'anomaly' && e.component === 'e2e-web')!;
    const recorded = await waitForIncident(client, anomaly.id);
    expect(recorded.context?.component).toBe('e2e-web');
    const stats = await client.statistics();
    expect(stats.every((s) => s.stats && s.stats.service === s.service)).toBe(true);
    expect(stats.find((s) => s.service === 'monitor')!.stats!.messagesIn).toBeGreaterThan(0);
  }, 60_000);
});

async function waitForIncident(client: X0Client, id: string) {
  const end = Date.now() + 30_000;
  for (;;) {
    try {
      return await client.services.knowledge.getIncident({ id });
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
