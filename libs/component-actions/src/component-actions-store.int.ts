import { connectBus, toKvKey, type Bus } from '@x0/bus';
import { startNatsServer, type NatsServerProcess } from '@x0/bus/testing';
import { ComponentActionsStore, parseComponentActions, type ComponentActionsRecord } from './component-actions-store';

describe('ComponentActionsStore', () => {
  let nats: NatsServerProcess;
  let bus: Bus;
  beforeAll(async () => {
    nats = await startNatsServer();
    bus = await connectBus({ url: nats.url, name: 'actions' });
  });
  afterAll(async () => {
    await bus.drain();
    await nats.stop();
  });

  it('put/get/list - sorted, de-duplicated; odd component names round-trip', async () => {
    const store = await ComponentActionsStore.open(bus);
    await store.put('web-1', { actions: ['scale_up', 'restart', 'restart'], source: 'agent', updatedMs: 5 });
    await store.put('db:5432', { actions: [], source: 'config', updatedMs: 6 });
    expect(await store.get('web-1')).toEqual({ component: 'web-1', actions: ['restart', 'scale_up'], source: 'agent', updatedMs: 5 });
    expect(await store.get('nope')).toBeUndefined();
    expect((await store.list()).map((r) => r.component)).toEqual(['db:5432', 'web-1']);
    await expect(store.put('web-1', { actions: ['Bad Action'], source: 'agent' })).rejects.toThrow("'actions[0]' must be an action token ([a-z][a-z0-9_-]*)");
  });

  it('watch - current records first (ready), then changes; unreadable entries are reported and read as unknown', async () => {
    const store = await ComponentActionsStore.open(bus);
    await store.put('w-1', { actions: ['restart'], source: 'agent', updatedMs: 1 });
    const seen = new Map<string, ComponentActionsRecord | undefined>();
    const errors: string[] = [];
    const w = await store.watch(
      (c, r) => seen.set(c, r),
      (e) => errors.push(String(e)),
    );
    await w.ready;
    expect(seen.get('w-1')?.actions).toEqual(['restart']);
    await store.put('w-2', { actions: ['clear_cache'], source: 'agent', updatedMs: 2 });
    await store.kv.put(toKvKey('w-1'), '{"actions": 3}');
    for (let i = 0; i < 100 && !(seen.has('w-2') && seen.get('w-1') === undefined); i++) await new Promise((r) => setTimeout(r, 20));
    w.stop();
    expect(seen.get('w-2')?.actions).toEqual(['clear_cache']);
    expect(seen.get('w-1')).toBeUndefined();
    expect(errors[0]).toContain("component actions entry 'w-1' is unreadable: 'actions' must be a list");
  });

  it('parseComponentActions - names the field', () => {
    expect(() => parseComponentActions('c', { actions: [], source: 'human', updatedMs: 0 })).toThrow("'source' must be agent or config");
    expect(() => parseComponentActions('c', { actions: [], source: 'agent', updatedMs: 0, extra: 1 })).toThrow();
  });
});
