import { classifyCause, metricWords } from './cause-classifier';

const dev = (metric: string, value: number, expected: number, score: number) => ({ metric, value, expected, score });

describe('classifyCause', () => {
  it('maps a rising CPU metric to cpu_saturation', () => {
    expect(classifyCause([dev('cpu_usage', 0.97, 0.4, 0.9)])[0]).toEqual({ cause: 'cpu_saturation', support: 1, metrics: ['cpu_usage'] });
  });

  it('weighs metrics by their score', () => {
    const h = classifyCause([dev('heap_bytes', 9e9, 2e9, 0.8), dev('latency_p99_ms', 300, 120, 0.2)]);
    expect(h.map((x) => x.cause)).toEqual(['memory_leak', 'latency_spike']);
    expect(h[0].support).toBeCloseTo(0.8);
  });

  it('direction matters: falling throughput means a dependency problem, rising CPU does not', () => {
    expect(classifyCause([dev('requests_per_s', 10, 500, 0.9)])[0].cause).toBe('dependency_down');
    expect(classifyCause([dev('cpu', 0.1, 0.6, 0.9)])[0].cause).toBe('unknown');
  });

  it('errors up with throughput down is a dependency failure; errors alone, or with throughput up, are an error burst', () => {
    const both = classifyCause([dev('error_rate', 0.4, 0.01, 0.99), dev('rps', 5, 100, 0.6), dev('cpu', 0.9, 0.4, 0.3)]);
    expect(both[0]).toEqual({ cause: 'dependency_down', support: expect.closeTo(1.59 / 1.89, 5), metrics: ['rps', 'error_rate'] });
    expect(both.map((h) => h.cause)).toEqual(['dependency_down', 'cpu_saturation']);
    expect(classifyCause([dev('error_rate', 0.4, 0.01, 0.99)])[0].cause).toBe('error_burst');
    expect(classifyCause([dev('error_rate', 0.4, 0.01, 0.99), dev('rps', 300, 100, 0.6)])[0].cause).toBe('error_burst');
  });

  it('unknown metrics and no metrics give unknown', () => {
    expect(classifyCause([dev('value', 5, 1, 1)])[0].cause).toBe('unknown');
    expect(classifyCause([])).toEqual([{ cause: 'unknown', support: 1, metrics: [] }]);
  });

  it.each([
    ['disk_used_pct', 'disk_full'],
    ['kafka_consumer_lag', 'queue_backlog'],
    ['http_5xx_rate', 'error_burst'],
    ['response_time_ms', 'latency_spike'],
  ])('%s → %s', (metric, cause) => {
    expect(classifyCause([dev(metric, 10, 1, 0.9)])[0].cause).toBe(cause);
  });

  it.each([
    // A general word (util, load) no longer outranks the resource the name names.
    ['MemoryUtilization', 0.95, 0.4, 'memory_leak'],
    ['memory_utilization', 0.95, 0.4, 'memory_leak'],
    ['CPUUtilization', 0.95, 0.4, 'cpu_saturation'],
    ['node_load1', 8, 1, 'cpu_saturation'],
    // Keywords match at the start of a word: 'fs' is not in 'offset', 'load' not in 'download'.
    ['consumer_offset_lag', 500, 10, 'queue_backlog'],
    ['download_bytes_rate', 9e6, 1e6, 'unknown'],
    ['cpu_interrupts', 9e4, 1e3, 'cpu_saturation'],
    // What is left of a resource falling is its use rising, not a dependency down.
    ['node_filesystem_avail_bytes', 1e8, 5e10, 'disk_full'],
    ['node_memory_MemAvailable_bytes', 1e8, 8e9, 'memory_leak'],
    ['cpu_idle_pct', 2, 60, 'cpu_saturation'],
    ['service_availability', 0.5, 0.999, 'dependency_down'],
  ])('word matching - %s from %d to %d → %s (MemoryUtilization read as CPU, consumer_offset_lag as disk)', (metric, value, expected, cause) => {
    expect(classifyCause([dev(metric, value, expected, 0.9)])[0].cause).toBe(cause);
  });

  it('metric words - camel case, acronyms and separators become lower-case words', () => {
    expect(metricWords('CPUUtilization')).toBe('cpu utilization');
    expect(metricWords('node_memory_MemAvailable_bytes')).toBe('node memory mem available bytes');
    expect(metricWords('http.5xx-rate')).toBe('http 5xx rate');
  });
});
