import { IdempotencyGuard, MemoryIdempotencyStore, type IdempotencyStore } from './idempotency';
import type { ExecutionResult } from './types';

const ok = (message = 'done'): ExecutionResult => ({ status: 'succeeded', message, durationMs: 1, details: {} });

describe('idempotency', () => {
  it('run - a key acts once; later calls replay the first result', async () => {
    const g = new IdempotencyGuard();
    const act = jest.fn(async () => ok('first'));
    expect(await g.run('k', 'agent', act)).toEqual({ result: ok('first'), replayed: false });
    expect(await g.run('k', 'agent', async () => ok('second'))).toEqual({ result: ok('first'), replayed: true });
    expect(act).toHaveBeenCalledTimes(1);
    expect((await g.run('other', 'agent', async () => ok('second'))).replayed).toBe(false);
  });

  it('run - concurrent calls with one key share one execution', async () => {
    const g = new IdempotencyGuard();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const act = jest.fn(async () => {
      await gate;
      return ok();
    });
    const both = Promise.all([g.run('k', 'agent', act), g.run('k', 'agent', act)]);
    release();
    const [a, b] = await both;
    expect(act).toHaveBeenCalledTimes(1);
    expect([a.replayed, b.replayed]).toEqual([false, true]);
  });

  it('run - failed results are remembered too (at most once, not at least once)', async () => {
    const g = new IdempotencyGuard();
    await g.run('k', 'agent', async () => ({ ...ok(), status: 'failed' }));
    const act = jest.fn(async () => ok());
    expect((await g.run('k', 'agent', act)).result.status).toBe('failed');
    expect(act).not.toHaveBeenCalled();
  });

  it('store - a new process (empty memory) replays what the store remembers', async () => {
    const store = new MemoryIdempotencyStore();
    await new IdempotencyGuard({ store }).run('k', 'agent', async () => ok('before restart'));
    const act = jest.fn(async () => ok('again'));
    const after = await new IdempotencyGuard({ store }).run('k', 'agent', act);
    expect(after).toEqual({ result: ok('before restart'), replayed: true });
    expect(act).not.toHaveBeenCalled();
  });

  it('store - an attempt that started but never finished is not repeated', async () => {
    const store = new MemoryIdempotencyStore();
    store.records.set('k', { state: 'started', executor: 'k8s', startedMs: Date.UTC(2025, 0, 1) });
    const act = jest.fn(async () => ok());
    const { result, replayed } = await new IdempotencyGuard({ store }).run('k', 'k8s', act);
    expect(act).not.toHaveBeenCalled();
    expect(replayed).toBe(true);
    expect(result.status).toBe('skipped');
    expect(result.message).toBe(
      'an earlier attempt with idempotency key k (executor k8s) started at 2025-01-01T00:00:00.000Z and did not record a result; not acting again',
    );
  });

  it('store - records started before acting and done after', async () => {
    const store = new MemoryIdempotencyStore();
    let during: unknown;
    await new IdempotencyGuard({ store, clock: () => 42 }).run('k', 'agent', async () => {
      during = store.records.get('k');
      return ok();
    });
    expect(during).toEqual({ state: 'started', executor: 'agent', startedMs: 42 });
    expect(store.records.get('k')).toEqual({ state: 'done', executor: 'agent', startedMs: 42, finishedMs: 42, result: ok() });
  });

  it('store - unavailable: fail closed, do not act', async () => {
    const broken: IdempotencyStore = { get: async () => undefined, put: async () => Promise.reject(new Error('kv timeout')) };
    const act = jest.fn(async () => ok());
    const { result } = await new IdempotencyGuard({ store: broken }).run('k', 'agent', act);
    expect(act).not.toHaveBeenCalled();
    expect(result).toMatchObject({ status: 'failed', message: 'idempotency store unavailable, not acting: kv timeout' });
  });

  it('store - a failed write of the result is reported; the started record still stops a repeat', async () => {
    const records = new MemoryIdempotencyStore();
    let writes = 0;
    const flaky: IdempotencyStore = { get: (k) => records.get(k), put: async (k, r) => (++writes === 2 ? Promise.reject(new Error('kv down')) : records.put(k, r)) };
    const first = await new IdempotencyGuard({ store: flaky }).run('k', 'agent', async () => ok());
    expect(first.result.details).toEqual({ idempotencyStore: 'result not recorded: kv down' });
    const act = jest.fn(async () => ok());
    expect((await new IdempotencyGuard({ store: flaky }).run('k', 'agent', act)).result.status).toBe('skipped');
    expect(act).not.toHaveBeenCalled();
  });

  it('store - two replicas claiming one key at once: exactly one acts (claim is atomic)', async () => {
    const store = new MemoryIdempotencyStore();
    const a = new IdempotencyGuard({ store });
    const b = new IdempotencyGuard({ store });
    const act = jest.fn(async () => ok('once'));
    const [ra, rb] = await Promise.all([a.run('k', 'agent', act), b.run('k', 'agent', act)]);
    expect(act).toHaveBeenCalledTimes(1);
    expect([ra.replayed, rb.replayed].sort()).toEqual([false, true]);
    expect(store.records.get('k')).toMatchObject({ state: 'done' });
  });

  it('store - without claim, get + put are used', async () => {
    const records = new Map<string, unknown>();
    const store: IdempotencyStore = {
      get: jest.fn(async (k: string) => records.get(k) as never),
      put: jest.fn(async (k: string, r) => void records.set(k, r)),
    };
    const g = new IdempotencyGuard({ store });
    await g.run('k', 'agent', async () => ok());
    expect(store.get).toHaveBeenCalledTimes(1);
    expect(store.put).toHaveBeenCalledTimes(2);
  });

  it('memory - bounded LRU; evicted keys fall back to the store', async () => {
    const store = new MemoryIdempotencyStore();
    const g = new IdempotencyGuard({ maxEntries: 2, store });
    for (const k of ['a', 'b', 'c']) await g.run(k, 'agent', async () => ok(k));
    expect(g.size).toBe(2);
    const act = jest.fn(async () => ok('again'));
    expect((await g.run('a', 'agent', act)).result.message).toBe('a');
    expect(act).not.toHaveBeenCalled();
    // Without a store an evicted key is forgotten: the memory bound is real.
    const g2 = new IdempotencyGuard({ maxEntries: 1 });
    await g2.run('a', 'agent', async () => ok('a'));
    await g2.run('b', 'agent', async () => ok('b'));
    expect((await g2.run('a', 'agent', async () => ok('a2'))).result.message).toBe('a2');
  });
});
