import { DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { STREAMS } from '@x0/contracts';

/** Limits of the three x0 streams; defaults suit a single node with a few GB of disk. */
export interface StreamLimits {
  metricsMaxAgeMs: number;
  metricsMaxBytes: number;
  eventsMaxAgeMs: number;
  eventsMaxBytes: number;
  dlqMaxAgeMs: number;
  /** Window in which a repeated Nats-Msg-Id is dropped (dedup after a crash or redelivery). */
  duplicateWindowMs: number;
}

const HOUR = 3_600_000;
const GiB = 1024 ** 3;

export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  metricsMaxAgeMs: 24 * HOUR,
  metricsMaxBytes: 2 * GiB,
  eventsMaxAgeMs: 30 * 24 * HOUR,
  eventsMaxBytes: 2 * GiB,
  dlqMaxAgeMs: 14 * 24 * HOUR,
  duplicateWindowMs: 10 * 60_000,
};

/** The stream configurations x0 needs (DESIGN.md: X0_METRICS, X0_EVENTS, X0_DLQ). */
export function streamConfigs(limits: StreamLimits = DEFAULT_STREAM_LIMITS): Array<Partial<StreamConfig> & { name: string; subjects: string[] }> {
  const common = { storage: StorageType.File, retention: RetentionPolicy.Limits, discard: DiscardPolicy.Old, duplicate_window: nanos(limits.duplicateWindowMs) };
  return [
    { ...common, name: STREAMS.metrics.name, subjects: [...STREAMS.metrics.subjects], max_age: nanos(limits.metricsMaxAgeMs), max_bytes: limits.metricsMaxBytes },
    { ...common, name: STREAMS.events.name, subjects: [...STREAMS.events.subjects], max_age: nanos(limits.eventsMaxAgeMs), max_bytes: limits.eventsMaxBytes },
    { ...common, name: STREAMS.dlq.name, subjects: [...STREAMS.dlq.subjects], max_age: nanos(limits.dlqMaxAgeMs), max_bytes: -1 },
  ];
}

/**
 * Creates the x0 streams, or updates them to the wanted limits when they exist: safe to call
 * from every service at start, concurrently. Returns the names it created.
 */
export async function provisionStreams(jsm: JetStreamManager, limits: StreamLimits = DEFAULT_STREAM_LIMITS): Promise<string[]> {
  const created: string[] = [];
  for (const cfg of streamConfigs(limits)) {
    const existing = await jsm.streams.info(cfg.name).catch(() => undefined);
    if (!existing) {
      try {
        await jsm.streams.add(cfg);
        created.push(cfg.name);
        continue;
      } catch (err) {
        // Another service created it between our info() and add(): fall through to update.
        if (!(await jsm.streams.info(cfg.name).catch(() => undefined))) throw err;
      }
    }
    const cur = existing?.config ?? (await jsm.streams.info(cfg.name)).config;
    const same =
      cur.max_age === cfg.max_age &&
      cur.max_bytes === cfg.max_bytes &&
      cur.duplicate_window === cfg.duplicate_window &&
      JSON.stringify([...cur.subjects].sort()) === JSON.stringify([...cfg.subjects].sort());
    if (!same) await jsm.streams.update(cfg.name, { ...cur, ...cfg });
  }
  return created;
}
