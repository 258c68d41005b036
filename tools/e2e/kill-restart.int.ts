/**
 * A service killed with SIGKILL in the middle of a stream, then restarted, loses nothing and
 * duplicates nothing: its durable consumer redelivers what was not acked, and the outputs it
 * had already published are dropped by the stream as duplicates (Nats-Msg-Id).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectBus, provisionStreams, publishMessage, type Bus } from '@x0/bus';
import { startNatsServer, type NatsServerProcess } from '@x0/bus/testing';
import { Anomaly, EVENT_CODECS, Severity, STREAMS, eventSubject } from '@x0/contracts';
import { Stack } from '../dev/stack';

const N = 400;

function anomaly(i: number): Anomaly {
  return Anomaly.fromPartial({
    meta: { id: `an_kill_${i}`, parentId: `mb_kill_${i}`, component: `kill-c${i}`, timeMs: Date.now(), source: 'test' },
    score: 0.95,
    severity: Severity.SEVERITY_HIGH,
    metrics: [{ metric: 'cpu', value: 0.97, expected: 0.3, score: 0.95 }],
    signature: Array.from({ length: 8 }, (_, k) => Math.sin(i + k)),
    kind: 'web',
  });
}

async function subjectCounts(bus: Bus, filter: string): Promise<{ total: number; ids: Map<string, number> }> {
  const c = await bus.js.consumers.get(STREAMS.events.name, { filter_subjects: filter });
  const info = await bus.jsm.streams.info(STREAMS.events.name, { subjects_filter: filter });
  const total = Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
  const ids = new Map<string, number>();
  if (total === 0) return { total, ids };
  const iter = await c.fetch({ max_messages: total, expires: 5000 });
  for await (const m of iter) {
    const d = EVENT_CODECS.diagnosis.decode(m.data);
    ids.set(d.meta!.parentId, (ids.get(d.meta!.parentId) ?? 0) + 1);
    if (m.info.pending === 0) break;
  }
  return { total, ids };
}

describe('kill and restart', () => {
  let nats: NatsServerProcess;
  let stack: Stack;
  let bus: Bus;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'x0-kill-'));

  beforeAll(async () => {
    nats = await startNatsServer();
    bus = await connectBus({ url: nats.url, name: 'kill-test' });
    await provisionStreams(bus.jsm);
    stack = new Stack({ natsUrl: nats.url, dataDir, services: ['analyze'], env: { LOG_LEVEL: 'warn', X0_ACK_WAIT_S: '2' } });
    await stack.start();
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await bus?.drain();
    await nats?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('analyze - SIGKILL mid-stream, restart: every anomaly gets exactly one diagnosis', async () => {
    const publishing = (async () => {
      for (let i = 0; i < N; i++) {
        const a = anomaly(i);
        await publishMessage(bus.js, { subject: eventSubject('anomaly', a.meta!.component), data: EVENT_CODECS.anomaly.encode(a), id: a.meta!.id });
        if (i % 20 === 0) await new Promise((r) => setTimeout(r, 5));
      }
    })();

    // Kill once part of the stream has been handled, while the rest is still coming.
    const deadline = Date.now() + 30_000;
    while ((await subjectCounts(bus, 'x0.events.diagnosis.>')).total < N / 4) {
      if (Date.now() > deadline) throw new Error('analyze did not start diagnosing');
      await new Promise((r) => setTimeout(r, 20));
    }
    const code = await stack.kill('analyze', 'SIGKILL');
    expect(code).toBeNull(); // killed by the signal, no clean exit
    const atKill = (await subjectCounts(bus, 'x0.events.diagnosis.>')).total;
    expect(atKill).toBeLessThan(N);

    await publishing;
    await stack.spawn('analyze');
    await stack.waitServing(30_000);

    let counts = await subjectCounts(bus, 'x0.events.diagnosis.>');
    const end = Date.now() + 60_000;
    while (counts.total < N && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 200));
      counts = await subjectCounts(bus, 'x0.events.diagnosis.>');
    }
    // Let redeliveries settle, then check again: still exactly N, one per anomaly.
    await new Promise((r) => setTimeout(r, 1500));
    counts = await subjectCounts(bus, 'x0.events.diagnosis.>');
    expect(counts.total).toBe(N);
    expect(counts.ids.size).toBe(N);
    expect([...counts.ids.values()].every((n) => n === 1)).toBe(true);
    const consumer = await bus.jsm.consumers.info(STREAMS.events.name, 'analyze');
    expect(consumer.num_pending + consumer.num_ack_pending).toBe(0);
  }, 120_000);
});
