import type { AliasChange, ModelRegistry } from '@x0/model-registry';
import { ServedModel, swapLogFields, type SwapInfo } from './served-model';

/** A registry whose alias watch delivers `initial` during watchAliases and later moves on `move()`. */
function fakeRegistry(initial: AliasChange | undefined) {
  let onChange: ((c: AliasChange) => void | Promise<void>) | undefined;
  const registry = {
    watchAliases: async (_model: string, _alias: string, cb: (c: AliasChange) => void | Promise<void>) => {
      onChange = cb;
      if (initial) await cb(initial);
      return { current: initial?.version ?? '', stop: async () => undefined };
    },
  } as unknown as ModelRegistry;
  return { registry, move: (c: AliasChange) => onChange!(c) };
}

function change(version: string, previousVersion: string, timeMs: number): AliasChange {
  return { model: 'm', alias: 'champion', version, previousVersion, type: 'promote', timeMs, revision: Number(version), reason: '', actor: '' };
}

describe('ServedModel swap info', () => {
  it('swap info - the version named at start reports the alias age, a live move its propagation', async () => {
    let now = 1_000_000;
    const { registry, move } = fakeRegistry(change('1', '', now - 648_074));
    const swaps: SwapInfo[] = [];
    const served = new ServedModel<string>({ registry, model: 'm', load: async (v) => `model-${v}`, onSwap: (i) => swaps.push(i), clock: () => now });
    await served.start();
    expect(swaps[0]).toMatchObject({ version: '1', live: false, aliasAgeMs: 648_074 });
    expect(swaps[0].propagationMs).toBeUndefined();
    expect(swapLogFields(swaps[0])).toEqual({ model: 'm', version: '1', previous: '', aliasAgeMs: 648_074 });

    now += 10_000;
    await move(change('2', '1', now - 84));
    expect(swaps[1]).toMatchObject({ version: '2', previousVersion: '1', live: true, propagationMs: 84 });
    expect(swaps[1].aliasAgeMs).toBeUndefined();
    expect(swapLogFields(swaps[1])).toEqual({ model: 'm', version: '2', previous: '1', propagationMs: 84 });
    await served.stop();
  });

  it('swap info - an alias first set after start is a live move (propagation, no age)', async () => {
    const now = 5_000;
    const { registry, move } = fakeRegistry(undefined);
    const swaps: SwapInfo[] = [];
    const served = new ServedModel<string>({ registry, model: 'm', load: async (v) => v, onSwap: (i) => swaps.push(i), clock: () => now });
    await served.start();
    await move(change('1', '', now - 30));
    expect(swapLogFields(swaps[0])).toEqual({ model: 'm', version: '1', previous: '', propagationMs: 30 });
    await served.stop();
  });
});
