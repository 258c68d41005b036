import { InvalidArgumentError, newId } from '@x0/core';
import { publishMessage, type Bus } from '@x0/bus';
import { METRIC_BATCH_CODEC, metricsSubject, validateMetricBatch, type MetricBatch, type Sample } from '@x0/contracts';

export interface PublishMetricsOptions {
  /** Component kind (label "kind"), e.g. "web", "db", "queue". */
  kind?: string;
  /** Batch time in ms (default now). */
  timeMs?: number;
  labels?: Record<string, string>;
  /** Batch id (default a new unique one); also the Nats-Msg-Id. */
  id?: string;
}

/**
 * Publishes one MetricBatch for a component onto `x0.metrics.<component>` (JetStream, so
 * the monitor gets it even if it is restarting). `metrics` is `{ cpu: 0.93, mem: 0.41 }` or
 * a list of samples. Validates first: throws InvalidArgumentError naming the bad field.
 */
export async function publishMetrics(bus: Bus, component: string, metrics: Record<string, number> | Sample[], options: PublishMetricsOptions = {}): Promise<MetricBatch> {
  const timeMs = options.timeMs ?? Date.now();
  const samples: Sample[] = Array.isArray(metrics) ? metrics : Object.entries(metrics).map(([metric, value]) => ({ metric, value, timeMs }));
  const id = options.id ?? newId('mb', timeMs);
  const labels = { ...(options.labels ?? {}), ...(options.kind ? { kind: options.kind } : {}) };
  const { batch, rejected } = validateMetricBatch({ id, component, timeMs, samples, labels }, { subjectComponent: component, fallbackId: id, now: timeMs });
  if (rejected.length > 0) throw new InvalidArgumentError('', rejected.map((r) => r.reason).join('; '));
  await publishMessage(bus.js, { subject: metricsSubject(component), data: METRIC_BATCH_CODEC.encode(batch), id });
  return batch;
}
