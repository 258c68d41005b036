import { ModelVersion } from '@x0/contracts';
import { unknownModelError } from './models';

describe('models', () => {
  const versions = (names: string[]) => names.flatMap((model) => ['1', '2'].map((version) => ModelVersion.fromPartial({ model, version })));

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
});
