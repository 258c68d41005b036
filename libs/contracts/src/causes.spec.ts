import { misspeltCause } from './causes';

describe('misspeltCause', () => {
  it.each([
    ['cpu_saturaton', 'cpu_saturation'],
    ['cpu_satuartion', 'cpu_saturation'],
    ['memory_leaks', 'memory_leak'],
    ['disk_ful', 'disk_full'],
    ['unknwn', 'unknown'],
    ['dependency_dwn', 'dependency_down'],
  ])('misspelt - %s is taken for %s', (cause, known) => {
    expect(misspeltCause(cause)).toBe(known);
  });

  it.each(['cpu_saturation', 'unknown', 'certificate_expiry', 'gc_pauses', 'noisy_neighbour', 'bad_deployment', 'connection_pool_exhaustion', 'disk_io', 'test_cause'])(
    'not misspelt - %s (a known cause, or one a runbook may define)',
    (cause) => {
      expect(misspeltCause(cause)).toBeUndefined();
    },
  );
});
