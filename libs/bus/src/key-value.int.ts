import type { KV } from '@nats-io/kv';
import { connectBus, type Bus } from './connection';
import { kvEntries, kvRecords, kvWritesSince, openKeyValue, provisionKeyValue } from './key-value';
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

  it('kvRecords - parses each record; an unreadable one is reported and deleted, an empty one skipped', async () => {
    const rec = await openKeyValue(bus, 'kv_records_test');
    await rec.put('good', JSON.stringify({ n: 1 }));
    await rec.put('bad', 'not json');
    await rec.put('empty', '');
    const unreadable: string[] = [];
    const records = await kvRecords(rec, (e) => e.json<{ n: number }>(), (key) => unreadable.push(key));
    expect([...records]).toEqual([['good', { n: 1 }]]);
    expect(unreadable).toEqual(['bad']);
    expect((await kvEntries(rec)).map((e) => e.key)).toEqual(['empty', 'good']);
  });

  it('refuses something that is not a bucket', async () => {
    await expect(kvEntries({} as KV)).rejects.toThrow('kvEntries: not a bucket opened with @nats-io/kv');
  });
});

describe('provisionKeyValue', () => {
  const DAY_MS = 86_400_000;
  let server: NatsServerProcess;
  let bus: Bus;

  beforeAll(async () => {
    server = await startNatsServer();
    bus = await connectBus({ url: server.url, name: 'kv-provision-test' });
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await bus?.drain();
    await server?.stop();
  });

  const settings = async (bucket: string) => {
    const { config } = await bus.jsm.streams.info(`KV_${bucket}`);
    return { ttlMs: config.max_age / 1e6, history: config.max_msgs_per_subject, windowMs: config.duplicate_window / 1e6 };
  };

  it('provision - creates a missing bucket with the TTL and history given', async () => {
    await provisionKeyValue(bus, 'kv_provision_new', { ttl: DAY_MS, history: 3 });
    expect(await settings('kv_provision_new')).toEqual({ ttlMs: DAY_MS, history: 3, windowMs: 120_000 });
  });

  it('provision - an existing bucket takes a changed TTL and history, longer or shorter, and keeps its entries', async () => {
    const first = await provisionKeyValue(bus, 'kv_provision_change', { ttl: 7 * DAY_MS });
    await first.put('k', 'v');
    // What provisioning is for: opening alone leaves the bucket as it was created.
    await openKeyValue(bus, 'kv_provision_change', { ttl: DAY_MS, history: 5 });
    expect(await settings('kv_provision_change')).toEqual({ ttlMs: 7 * DAY_MS, history: 1, windowMs: 120_000 });

    await provisionKeyValue(bus, 'kv_provision_change', { ttl: 30 * DAY_MS, history: 5 });
    expect(await settings('kv_provision_change')).toEqual({ ttlMs: 30 * DAY_MS, history: 5, windowMs: 120_000 });
    // Below the 2-minute duplicate window a new bucket would get: the window follows the TTL.
    const kv = await provisionKeyValue(bus, 'kv_provision_change', { ttl: 60_000 });
    expect(await settings('kv_provision_change')).toEqual({ ttlMs: 60_000, history: 1, windowMs: 60_000 });
    expect((await kv.get('k'))?.string()).toBe('v');

    await provisionKeyValue(bus, 'kv_provision_change', { ttl: 0 });
    expect(await settings('kv_provision_change')).toEqual({ ttlMs: 0, history: 1, windowMs: 60_000 });
  });

  it('provision - a TTL that is not a non-negative number is refused before the bucket is touched', async () => {
    await provisionKeyValue(bus, 'kv_provision_bad', { ttl: DAY_MS });
    await expect(provisionKeyValue(bus, 'kv_provision_bad', { ttl: Number.NaN })).rejects.toThrow("'ttl' of bucket 'kv_provision_bad' must be a non-negative number of ms (0 = no expiry), got NaN");
    await expect(provisionKeyValue(bus, 'kv_provision_bad', { ttl: -1 })).rejects.toThrow(/got -1/);
    expect((await settings('kv_provision_bad')).ttlMs).toBe(DAY_MS);
  });

  it('provision - a bucket that already has the settings is not updated', async () => {
    await provisionKeyValue(bus, 'kv_provision_same', { ttl: DAY_MS });
    const update = jest.spyOn(bus.jsm.streams, 'update');
    await provisionKeyValue(bus, 'kv_provision_same', { ttl: DAY_MS, history: 1 });
    expect(update).not.toHaveBeenCalled();
    update.mockRestore();
  });
});

describe('kvWritesSince', () => {
  let server: NatsServerProcess;
  let bus: Bus;

  beforeAll(async () => {
    server = await startNatsServer();
    bus = await connectBus({ url: server.url, name: 'kv-writes-since-test' });
  });

  afterAll(async () => {
    await bus?.drain();
    await server?.stop();
  });

  it('reads the values written since a time, in order, without deletes; nothing for an empty bucket or window', async () => {
    const kv = await openKeyValue(bus, 'kv_writes_since', { history: 5 });
    expect(await kvWritesSince(kv, 0)).toEqual([]);
    await kv.put('old', 'before');
    await new Promise((r) => setTimeout(r, 50));
    const since = Date.now();
    await new Promise((r) => setTimeout(r, 50));
    await kv.put('a', '1');
    await kv.put('b.approval', '2');
    await kv.delete('old');
    await kv.put('a', '3');
    const writes = await kvWritesSince(kv, since);
    expect(writes.map((w) => `${w.key}=${Buffer.from(w.value).toString()}`)).toEqual(['a=1', 'b.approval=2', 'a=3']);
    expect(await kvWritesSince(kv, Date.now() + 60_000)).toEqual([]);
  });
});
