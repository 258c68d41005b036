import { z } from 'zod';
import { envInt } from '@x0/service-kit';

/** Environment variables of the monitor (besides the common ones in @x0/service-kit). */
export const monitorConfigShape = {
  /** Samples each component learns from before it scores. */
  MONITOR_WARMUP_SAMPLES: envInt(300, 1, 1_000_000),
  /** Lowest severity that opens an incident (publishes an Anomaly). */
  MONITOR_MIN_SEVERITY: z.enum(['low', 'medium', 'high']).default('medium'),
  /** Consecutive alarming samples that open an incident (1 = the first one). */
  MONITOR_OPEN_SAMPLES: envInt(2, 1, 10_000),
  /** Calm samples that close an open incident. */
  MONITOR_CLEAR_SAMPLES: envInt(5, 1, 10_000),
  /** Seconds after which a still-open incident is announced again. */
  MONITOR_REALERT_S: envInt(120, 1, 86_400),
  /** Seconds between detector-state snapshots to NATS KV. */
  MONITOR_SNAPSHOT_INTERVAL_S: envInt(30, 1, 86_400),
  /** Minimum ms between two ComponentHealth updates of one component (changes go out at once). */
  MONITOR_STATUS_INTERVAL_MS: envInt(1000, 0, 3_600_000),
  /** Largest batch of metric messages scored together. */
  MONITOR_BATCH: envInt(512, 1, 10_000),
  /** Forecaster: neural (TensorFlow.js) or naive (no tensors). */
  MONITOR_FORECASTER: z.enum(['neural', 'naive']).default('neural'),
};
