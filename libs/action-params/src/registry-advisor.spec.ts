import type { AliasWatch, ModelRegistry } from '@x0/model-registry';
import { RegistryActionParamsAdvisor } from './registry-advisor';

describe('RegistryActionParamsAdvisor', () => {
  it("an adapter watch that cannot start is not left half-followed: it is reported and tried again until it starts", async () => {
    let failures = 2;
    const watched: string[] = [];
    // A registry whose adapter alias watch fails twice (e.g. NATS unreachable for a moment), then works.
    const registry = {
      watchAliasedModels: async () => ({ models: new Set(['action-params--db']), stop: async () => undefined }),
      watchAliases: async (model: string): Promise<AliasWatch> => {
        if (model !== 'action-params' && failures-- > 0) throw new Error('TIMEOUT');
        watched.push(model);
        return { stop: async () => undefined } as AliasWatch;
      },
    } as unknown as ModelRegistry;
    const errors: string[] = [];
    const advisor = new RegistryActionParamsAdvisor({ registry, retryMs: 10, onError: (e) => errors.push((e as Error).message) });
    await advisor.start();
    advisor.suggest('db', 'scale_up', { score: 0.9, severity: 3 });
    for (let i = 0; i < 200 && !watched.includes('action-params--db'); i++) await new Promise((r) => setTimeout(r, 10));
    expect(watched).toEqual(['action-params', 'action-params--db']);
    expect(errors).toEqual(["cannot watch action-params--db (db's adapter; trying again in 0 s): TIMEOUT", "cannot watch action-params--db (db's adapter; trying again in 0 s): TIMEOUT"]);
    await advisor.stop();
  });
});
