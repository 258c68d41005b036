import type { KV } from '@nats-io/kv';
import { connectBus, type Bus } from './connection';
import { kvEntries, openKeyValue } from './key-value';
import { startNatsServer, type NatsServerProcess } from './nats-server';

describe('kvEntries', () => {
  let server: NatsServerProcess;
  let bus: Bus;
  let kv: KV;

  beforeAll(async () => {
    server = await startNatsServer();
    bus = await connectBus({ url: server.url, name: 'kv-entries-test' });
    kv = await openKeyValue(bus, 'kv_entries_test');
  });

  afterAll(async () => {
    await bus?.drain();
    await server?.stop();
  });

  it('lists nothing in an empty bucket', async () => {
    expect(await kvEntries(await openKeyValue(bus, 'kv_entries_empty'))).toEqual([]);
  });

  it('lists the latest value of each live key matching the filter, sorted, without deleted or purged keys', async () => {
    await kv.put('a.zeta', 'z');
    await kv.put('a.alpha', '1');
    await kv.put('a.alpha', '2');
    await kv.put('a.gone', 'x');
    await kv.delete('a.gone');
    await kv.put('a.purged', 'p');
    await kv.purge('a.purged');
    await kv.put('b.other', 'o');
    expect((await kvEntries(kv, 'a.*')).map((e) => `${e.key}=${e.string()}`)).toEqual(['a.alpha=2', 'a.zeta=z']);
    expect((await kvEntries(kv)).map((e) => e.key)).toEqual(['a.alpha', 'a.zeta', 'b.other']);
  });

  it('reads many keys', async () => {
    const many = await openKeyValue(bus, 'kv_entries_many');
    await Promise.all(Array.from({ length: 150 }, (_, i) => many.put(`k${String(i).padStart(3, '0')}`, String(i))));
    const entries = await kvEntries(many);
    expect(entries).toHaveLength(150);
    expect(entries[149].key).toBe('k149');
    expect(entries[149].string()).toBe('149');
  });

  // nats.js's kv.keys() waited ~30 s (the consumer's heartbeat) in about one run in four here.
  it('finishes while the listed keys are being rewritten', async () => {
    const hot = await openKeyValue(bus, 'kv_entries_hot');
    await hot.put('a.champion', 'v0');
    for (let round = 1; round <= 40; round++) {
      const listing = kvEntries(hot, 'a.*');
      await new Promise((r) => setTimeout(r, round % 4));
      await hot.put('a.champion', `v${round}`);
      const entries = await listing;
      expect(entries.map((e) => e.key)).toEqual(['a.champion']);
    }
  }, 20_000);

  it('refuses something that is not a bucket', async () => {
    await expect(kvEntries({} as KV)).rejects.toThrow('kvEntries: not a bucket opened with @nats-io/kv');
  });
});
