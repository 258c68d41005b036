import { connectBus, type Bus } from '@x0/bus';
import { startNatsServer, type NatsServerProcess } from '@x0/bus/testing';
import type { PolicyStats } from '@x0/contracts';
import { PolicyStatsStore } from './policy-stats-store';

describe('PolicyStatsStore', () => {
  let nats: NatsServerProcess;
  let bus: Bus;
  beforeAll(async () => {
    nats = await startNatsServer();
    bus = await connectBus({ url: nats.url, name: 'stats' });
  });
  afterAll(async () => {
    await bus.drain();
    await nats.stop();
  });

  it('record - concurrent writers never lose a count; list and watch see the tallies', async () => {
    const a = await PolicyStatsStore.open(bus);
    const b = await PolicyStatsStore.open(bus);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).record({ policyId: 'restart-web', action: 'restart', component: i % 4 ? 'web-1' : 'web-2', recovered: i % 3 !== 0, timeMs: 1000 + i })),
    );
    const [overall] = await a.list();
    expect(overall).toMatchObject({ policyId: 'restart-web', component: '', successes: 13, failures: 7, lastSuccessMs: 1019, lastFailureMs: 1018 });
    const onWeb1 = await a.list('web-1');
    expect(onWeb1.map((s) => s.successes + s.failures)).toEqual([15]);

    const seen: PolicyStats[] = [];
    const w = await a.watch((s) => seen.push(s));
    await b.record({ policyId: 'restart-web', action: 'restart', component: 'web-2', recovered: true, timeMs: 2000 });
    for (let i = 0; i < 100 && !seen.some((s) => s.lastSuccessMs === 2000 && s.component === ''); i++) await new Promise((r) => setTimeout(r, 20));
    w.stop();
    expect(seen.find((s) => s.component === '' && s.lastSuccessMs === 2000)).toMatchObject({ successes: 14 });
  });

  it('recordMany - the same tallies as one record per outcome, with concurrent writers', async () => {
    const a = await PolicyStatsStore.open(bus);
    const b = await PolicyStatsStore.open(bus);
    const outcomes = Array.from({ length: 30 }, (_, i) => ({ policyId: i % 3 ? 'scale-db' : 'restart-db', action: i % 3 ? 'scale_up' : 'restart', component: `db-${i % 2}`, recovered: i % 4 !== 0, timeMs: 5000 + i }));
    // Two writers, batches interleaved, plus single records at the same time: no count is lost.
    await Promise.all([a.recordMany(outcomes.slice(0, 12)), b.recordMany(outcomes.slice(12, 24)), ...outcomes.slice(24).map((o) => a.record(o)), a.recordMany([{ ...outcomes[0], policyId: '' }])]);
    const expected = new Map<string, { s: number; f: number }>();
    for (const o of outcomes) {
      for (const key of [`${o.policyId}|`, `${o.policyId}|${o.component}`]) {
        const t = expected.get(key) ?? { s: 0, f: 0 };
        if (o.recovered) t.s++;
        else t.f++;
        expected.set(key, t);
      }
    }
    const got = new Map<string, { s: number; f: number }>();
    for (const c of ['', 'db-0', 'db-1']) for (const s of await a.list(c)) if (s.policyId.endsWith('-db')) got.set(`${s.policyId}|${s.component}`, { s: s.successes, f: s.failures });
    expect(got).toEqual(expected);
    expect((await a.list()).find((s) => s.policyId === 'scale-db')).toMatchObject({ action: 'scale_up', lastSuccessMs: 5029 });
  });
});
