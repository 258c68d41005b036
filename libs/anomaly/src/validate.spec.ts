import { validateSample } from './validate';

const ok = { component: 'api', timeMs: 1_700_000_000_000, values: new Map([['cpu', 0.5]]) };

describe('validateSample', () => {
  it('accepts a well-formed sample', () => {
    expect(validateSample(ok)).toBeUndefined();
  });

  it('rejects values beyond the 32-bit float range (they would be Infinity in the detector), accepts the largest float32', () => {
    expect(validateSample({ ...ok, values: new Map([['cpu', 4e38]]) })).toBe("'values['cpu']' is 4e+38, beyond the ±3.4e38 the detector can hold (32-bit floats)");
    expect(validateSample({ ...ok, values: new Map([['cpu', -1e300]]) })).toBe("'values['cpu']' is -1e+300, beyond the ±3.4e38 the detector can hold (32-bit floats)");
    expect(validateSample({ ...ok, values: new Map([['cpu', 3.4028234663852886e38]]) })).toBeUndefined();
  });

  it('rejects non-finite values naming the metric', () => {
    expect(validateSample({ ...ok, values: new Map([['cpu', Number.NaN]]) })).toBe("'values['cpu']' must be a finite number, got NaN");
    expect(validateSample({ ...ok, values: new Map([['mem', 1], ['lat', Number.POSITIVE_INFINITY]]) })).toBe("'values['lat']' must be a finite number, got Infinity");
    expect(validateSample({ ...ok, values: new Map([['cpu', Number.NEGATIVE_INFINITY]]) })).toBe("'values['cpu']' must be a finite number, got -Infinity");
  });

  it('rejects empty metric names and empty value maps', () => {
    expect(validateSample({ ...ok, values: new Map([['', 1]]) })).toBe("'values' has an empty metric name");
    expect(validateSample({ ...ok, values: new Map([['  ', 1]]) })).toBe("'values' has an empty metric name");
    expect(validateSample({ ...ok, values: new Map() })).toBe("'values' must hold at least one metric");
  });

  it('rejects a bad component or time', () => {
    expect(validateSample({ ...ok, component: '' })).toBe("'component' must be a non-empty string");
    expect(validateSample({ ...ok, timeMs: Number.NaN })).toBe("'timeMs' must be a finite number, got NaN");
    expect(validateSample({ ...ok, values: { cpu: 1 } as any })).toBe("'values' must be a Map of metric name to number");
  });
});
