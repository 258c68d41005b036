import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { LatencyWindow } from '@x0/core';
import type { ModelInUse, Statistics } from '@x0/contracts';

/**
 * Counters every service keeps, exported twice: as Prometheus metrics (x0_* with a service
 * label) and as the `Statistics` message of the `GetStatistics` RPC. Implements the bus
 * ConsumerObserver, so a consumer loop feeds it directly.
 */
export class ServiceStats {
  readonly registry: Registry;
  private readonly started = Date.now();
  private readonly latency = new LatencyWindow(8192);
  private readonly models = new Map<string, ModelInUse>();
  private readonly gauges = new Map<string, () => number>();
  private counts = { in: 0, out: 0, errors: 0, dlq: 0 };
  private readonly mIn: Counter;
  private readonly mOut: Counter;
  private readonly mErrors: Counter;
  private readonly mDlq: Counter;
  private readonly mLatency: Histogram;

  constructor(
    readonly service: string,
    readonly instance: string,
    options: { defaultMetrics?: boolean } = {},
  ) {
    this.registry = new Registry();
    this.registry.setDefaultLabels({ service });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    this.mIn = new Counter({ name: 'x0_messages_in_total', help: 'Inputs taken from JetStream', registers: [this.registry] });
    this.mOut = new Counter({ name: 'x0_messages_out_total', help: 'Events published', registers: [this.registry] });
    this.mErrors = new Counter({ name: 'x0_errors_total', help: 'Handler, publish and RPC errors', registers: [this.registry] });
    this.mDlq = new Counter({ name: 'x0_dead_letters_total', help: 'Inputs sent to the dead-letter subject', registers: [this.registry] });
    this.mLatency = new Histogram({
      name: 'x0_handle_seconds',
      help: 'Time from taking an input to acking it',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers: [this.registry],
    });
  }

  received(count: number): void {
    this.counts.in += count;
    this.mIn.inc(count);
  }

  handled(latencyMs: number): void {
    this.latency.record(latencyMs);
    this.mLatency.observe(latencyMs / 1000);
  }

  published(count: number): void {
    this.counts.out += count;
    this.mOut.inc(count);
  }

  deadLettered(_reason: string): void {
    this.counts.dlq++;
    this.mDlq.inc();
  }

  failed(_error: unknown): void {
    this.counts.errors++;
    this.mErrors.inc();
  }

  /** Records which model version (and tfjs backend) the service serves with. */
  setModel(model: ModelInUse): void {
    this.models.set(model.name, model);
  }

  /** Adds a service-specific figure to GetStatistics (and a Prometheus gauge x0_<name>). */
  addGauge(name: string, help: string, read: () => number): void {
    this.gauges.set(name, read);
    const metric = `x0_${name.replace(/[^a-zA-Z0-9_]/g, '_')}`;
    if (!this.registry.getSingleMetric(metric)) {
      new Gauge({
        name: metric,
        help,
        registers: [this.registry],
        // prom-client calls collect() on every scrape.
        collect() {
          this.set(read());
        },
      });
    }
  }

  toProto(): Statistics {
    const l = this.latency.snapshot();
    const gauges: Record<string, number> = {};
    for (const [k, read] of this.gauges) gauges[k] = read();
    return {
      service: this.service,
      instance: this.instance,
      messagesIn: this.counts.in,
      messagesOut: this.counts.out,
      errors: this.counts.errors,
      deadLettered: this.counts.dlq,
      latency: { p50Ms: l.p50, p95Ms: l.p95, p99Ms: l.p99, maxMs: l.max, count: l.count },
      models: [...this.models.values()],
      uptimeS: (Date.now() - this.started) / 1000,
      gauges,
    };
  }
}
