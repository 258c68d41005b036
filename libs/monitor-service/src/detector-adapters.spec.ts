import type { AliasWatch, ModelRegistry } from '@x0/model-registry';
import { BASE_WEIGHTS } from '@x0/anomaly';
import { DetectorAdapters } from './detector-adapters';

describe('DetectorAdapters', () => {
  it("an adapter watch that cannot start is not left half-followed: it is reported and tried again until it starts", async () => {
    let failures = 2;
    let watching = 0;
    // A registry whose alias watch fails twice (e.g. NATS unreachable for a moment), then works.
    const registry = {
      watchAliasedModels: async () => ({ models: new Set(['detector--db']), stop: async () => undefined }),
      watchAliases: async (): Promise<AliasWatch> => {
        if (failures-- > 0) throw new Error('TIMEOUT');
        watching++;
        return { stop: async () => undefined } as AliasWatch;
      },
    } as unknown as ModelRegistry;
    const errors: string[] = [];
    const adapters = new DetectorAdapters({ registry, detector: { setComponentForecaster: () => undefined }, base: () => BASE_WEIGHTS, retryMs: 10, onError: (e) => errors.push((e as Error).message) });
    await adapters.start();
    adapters.noteComponent('db');
    for (let i = 0; i < 200 && watching === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(watching).toBe(1);
    expect(adapters.followed).toBe(1);
    expect(errors).toEqual([
      "cannot watch detector--db (db's adapter; trying again in 0 s): TIMEOUT",
      "cannot watch detector--db (db's adapter; trying again in 0 s): TIMEOUT",
    ]);
    await adapters.stop();
  });
});
