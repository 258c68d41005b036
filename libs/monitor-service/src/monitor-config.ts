import { z } from 'zod';
import { envBool, envInt, envNumber } from '@x0/service-kit';

/** Environment variables of the monitor (besides the common ones in @x0/service-kit). */
export const monitorConfigShape = {
  /** Samples each component learns from before it scores. */
  MONITOR_WARMUP_SAMPLES: envInt(300, 1, 1_000_000),
  /** Lowest severity that opens an incident (publishes an Anomaly). */
  MONITOR_MIN_SEVERITY: z.enum(['low', 'medium', 'high']).default('medium'),
  /** Samples a deviation must persist (the alarming one included) before an incident opens. */
  MONITOR_OPEN_SAMPLES: envInt(2, 1, 10_000),
  /** A metric still deviates while beyond this many pre-incident standard deviations. */
  MONITOR_DEVIATION_SIGMAS: envNumber(3, 0.5, 100),
  /** A metric this many standard deviations off its baseline opens an incident as high whatever the detector says (0 = off). */
  MONITOR_EXTREME_SIGMAS: envNumber(8, 0, 1000),
  /** Samples back within the pre-incident normal that close an open incident. */
  MONITOR_CLEAR_SAMPLES: envInt(5, 1, 10_000),
  /**
   * Samples (and batches) timed more than this many seconds ahead of the monitor's clock are
   * dead-lettered: a time in microseconds, or from a clock far ahead, would become the component's
   * latest and every correct sample after it would be refused. A day by default, so replays and
   * simulations that run somewhat ahead of the clock still pass.
   */
  MONITOR_MAX_FUTURE_S: envInt(86_400, 1, 31_536_000),
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
  /** Serve the forecaster of `detector@champion` in the model registry, swapped on promotion/rollback (docs/trainer.md). */
  MONITOR_FOLLOW_REGISTRY: envBool(true),
  /** Cross-metric jump counts for components of two or more metrics (docs/anomaly-detection.md). */
  MONITOR_JUMP_COUNTS: envBool(true),
};
