import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { connectBus, provisionStreams, type Bus } from '@x0/bus';
import { startNatsServer, type NatsServerProcess } from '@x0/bus/testing';
import { DEAD_LETTER_CODEC, dlqSubject } from '@x0/contracts';
import { deadLetterFeed, formatDeadLetter, type DeadLetterRecord } from './dead-letters';

jest.setTimeout(60_000);

const root = path.resolve(__dirname, '../../..');

async function readAll(feed: AsyncGenerator<DeadLetterRecord>): Promise<DeadLetterRecord[]> {
  const out: DeadLetterRecord[] = [];
  for await (const d of feed) out.push(d);
  return out;
}

describe('deadLetterFeed and x0 dlq', () => {
  let nats: NatsServerProcess;
  let bus: Bus;
  const t0 = Date.UTC(2026, 10, 27, 21, 40, 1);

  beforeAll(async () => {
    nats = await startNatsServer();
    bus = await connectBus({ url: nats.url, name: 'dead-letters-test' });
    await provisionStreams(bus.jsm);
    const letter = (service: string, reason: string, payload: string, deliveries: number, timeMs: number) =>
      DEAD_LETTER_CODEC.encode({ meta: { id: `dl-${timeMs}`, parentId: '', component: '', timeMs, source: service }, service, subject: 'x0.metrics.web-1', reason, payload: Buffer.from(payload), headers: {}, streamSeq: 42, deliveries, kind: 'rejected' });
    await bus.js.publish(dlqSubject('monitor'), letter('monitor', "'samples[0].value' must be finite, got NaN", '{"metrics":{"cpu":NaN}}\n\u0001', 1, t0));
    await bus.js.publish(dlqSubject('plan'), letter('plan', 'unknown component', 'x'.repeat(500), 3, t0 + 1000));
    await bus.js.publish(dlqSubject('monitor'), new Uint8Array([0xff, 0xff, 0xff]));
  });

  afterAll(async () => {
    await bus?.drain();
    await nats?.stop();
  });

  it('reads every letter in order, decoded; an undecodable one is shown as such; --service filters', async () => {
    const all = await readAll(deadLetterFeed(bus, { sinceMs: 0, follow: false }));
    expect(all.map((d) => [d.service, d.reason])).toEqual([
      ['monitor', "'samples[0].value' must be finite, got NaN"],
      ['plan', 'unknown component'],
      ['monitor', 'undecodable dead letter'],
    ]);
    expect(all[0]).toMatchObject({ kind: 'rejected', subject: 'x0.metrics.web-1', time: '2026-11-27T21:40:01.000Z', deliveries: 1, payload_bytes: 25, payload: '{"metrics":{"cpu":NaN}}\\x0a\\x01', input_seq: 42 });
    expect(all[1].payload).toBe(`${'x'.repeat(200)}…`);
    expect(formatDeadLetter(all[1])).toBe('2026-11-27 21:40:02  plan  rejected  x0.metrics.web-1  unknown component  (500 B, 3 deliveries)');
    expect((await readAll(deadLetterFeed(bus, { sinceMs: 0, follow: false, service: 'plan' }))).map((d) => d.reason)).toEqual(['unknown component']);
    expect(await readAll(deadLetterFeed(bus, { sinceMs: 0, follow: false, service: 'execute' }))).toEqual([]);
  });

  it('x0 dlq - prints one line per letter; says so when there is none; refuses an unknown service', () => {
    const x0 = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'apps/cli/src/main.ts'), 'dlq', ...args], { cwd: root, env: { ...process.env, NATS_URL: nats.url }, encoding: 'utf8', timeout: 30_000 });
    const plan = x0('--since', '3650d', '--service', 'plan');
    expect([plan.status, plan.stdout]).toEqual([0, '2026-11-27 21:40:02  plan  rejected  x0.metrics.web-1  unknown component  (500 B, 3 deliveries)\n']);
    const none = x0('--since', '1h', '--service', 'execute');
    expect([none.status, none.stdout]).toEqual([0, '']);
    expect(none.stderr).toMatch(/^x0: no dead letters of execute since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\n$/);
    const bad = x0('--service', 'nope');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--service: unknown service 'nope' (one of monitor, analyze, plan, execute, knowledge, trainer)");
  });
});
