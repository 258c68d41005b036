import { ModelPerformance, ModelVersion } from '@x0/contracts';
import { ALIAS_HISTORY_SHOWN, describeAliasHistory, describePerformance, unknownModelError, versionListing } from './models';

describe('models', () => {
  const versions = (names: string[]) => names.flatMap((model) => ['1', '2'].map((version) => ModelVersion.fromPartial({ model, version })));

  it('ls - per-component adapters are summed up per base (components, how many with a champion); --adapters lists every version', () => {
    const v = (model: string, version: string, aliases: string[] = [], component = '') =>
      ModelVersion.fromPartial({ model, version, aliases, createdMs: Date.UTC(2026, 10, 28), sizeBytes: 100, lineage: component ? { component } : {} });
    const versions = [
      v('detector', '1', ['champion']),
      v('detector--db', '1', ['champion'], 'db'),
      v('detector--db', '2', ['challenger'], 'db'),
      v('detector--web', '1', ['challenger'], 'web'),
      v('action-params', '1', ['champion']),
      v('action-params--api', '1', [], 'api'),
    ];
    const short = versionListing(versions, { adapters: false });
    expect(short.rows.slice(1).map((r) => [r[0], r[1]])).toEqual([['detector', '1'], ['action-params', '1']]);
    expect(short.notes).toEqual([
      "adapters of action-params: 1 component(s), 0 with a champion — x0 models ls --adapters lists their versions, x0 models ls action-params--<component> one's",
      "adapters of detector: 2 component(s), 1 with a champion — x0 models ls --adapters lists their versions, x0 models ls detector--<component> one's",
    ]);
    const all = versionListing(versions, { adapters: true });
    expect(all.rows).toHaveLength(7);
    expect(all.rows[2]).toEqual(['detector--db', '1', 'champion', 'db', '2026-11-28 00:00:00', '100', expect.any(String)]);
    expect(all.notes).toEqual([]);
  });

  it('unknown model - names each known model once, sorted', () => {
    expect(unknownModelError('nosuch', versions(['detector', 'action-params'])).message).toBe("model 'nosuch' not found; known: action-params, detector");
    expect(unknownModelError('nosuch', []).message).toBe("model 'nosuch' not found; known: none");
  });

  it('unknown model - a long list (per-component adapters) is cut at 10 with the count', () => {
    const names = Array.from({ length: 12 }, (_, i) => `action-params--web-${String(i).padStart(2, '0')}`);
    expect(unknownModelError('x', versions(names)).message).toBe(
      `model 'x' not found; known: ${names.slice(0, 10).join(', ')}, … (12 in all; x0 models ls)`,
    );
  });

  it('alias history - time, alias, from → to, how, actor and reason of each move, as given (newest first)', () => {
    const t = Date.UTC(2026, 10, 27, 21, 40, 1);
    const out = describeAliasHistory([
      { timeMs: t, alias: 'champion', type: 'rollback', previousVersion: '3', version: '2', actor: 'alice', reason: 'accuracy low on 3' },
      { timeMs: t - 60_000, alias: 'champion', type: 'promote', previousVersion: '', version: '1', actor: '', reason: '' },
    ]).split('\n');
    expect(out[0]).toBe(`alias history (newest first, at most ${ALIAS_HISTORY_SHOWN})`);
    expect(out[1].split(/\s{2,}/)).toEqual(['', 'TIME', 'ALIAS', 'FROM → TO', 'HOW', 'ACTOR', 'REASON']);
    expect(out[2].split(/\s{2,}/)).toEqual(['', '2026-11-27 21:40:01', 'champion', '3 → 2', 'rollback', 'alice', 'accuracy low on 3']);
    expect(out[3].split(/\s{2,}/)).toEqual(['', '2026-11-27 21:39:01', 'champion', '- → 1', 'promote', '-', '-']);
    expect(describeAliasHistory([])).toBe('alias history: none');
    expect(describeAliasHistory('NATS: connection refused')).toBe('alias history: not available (NATS: connection refused)');
  });

  it('performance - no input drift line for a model whose drift is not sampled (never a sample, not judged); a sampled one keeps it', () => {
    const metric = { value: 0, threshold: 0.2, samples: 0, judged: false, breached: false };
    const params = describePerformance(ModelPerformance.fromPartial({ model: 'action-params', version: '1', drift: metric }));
    expect(params).not.toMatch(/drift/);
    expect(params.split('\n')).toHaveLength(5);
    expect(describePerformance(ModelPerformance.fromPartial({ model: 'action-params', version: '1' }))).not.toMatch(/drift/);
    expect(describePerformance(ModelPerformance.fromPartial({ model: 'detector', version: '1', drift: { ...metric, samples: 120 } }))).toMatch(
      /^ {2}input drift \(max PSI\): not judged \(120 samples\)$/m,
    );
    expect(describePerformance(ModelPerformance.fromPartial({ model: 'detector', version: '1', drift: { ...metric, value: 0.05, samples: 400, judged: true } }))).toMatch(
      /^ {2}input drift \(max PSI\): 0.0500 \(threshold 0.200, 400 samples\)$/m,
    );
  });
});
