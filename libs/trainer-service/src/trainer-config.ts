import { InvalidArgumentError } from '@x0/core';
import { envBool, envInt, envNumber } from '@x0/service-kit';
import type { IncidentTiming } from './incident-spans';

/** Environment variables of the trainer (besides the common ones in @x0/service-kit). See docs/trainer.md. */
export const trainerConfigShape = {
  /** Performance thresholds (the seed's): accuracy below, error rate above, latency p95 above. */
  TRAINER_MIN_ACCURACY: envNumber(0.7, 0, 1),
  TRAINER_MAX_ERROR_RATE: envNumber(0.1, 0, 1),
  TRAINER_MAX_LATENCY_MS: envNumber(100, 0),
  /** Input drift: a metric drifts when PSI > this and the KS p-value < TRAINER_KS_ALPHA. */
  TRAINER_MAX_PSI: envNumber(0.2, 0),
  TRAINER_KS_ALPHA: envNumber(0.05, 0, 1),
  /** Fewest labels / inferences before accuracy, error rate and latency are judged. */
  TRAINER_MIN_SAMPLES: envInt(30, 1),
  /** Labelled predictions a model's accuracy is judged over (the most recent); also how much stored feedback a start replays. */
  TRAINER_ACCURACY_WINDOW: envInt(500, 1, 100_000),
  /** Fewest reference and recent rows per component before drift is judged. */
  TRAINER_MIN_DRIFT_SAMPLES: envInt(200, 10),
  /** How often the performance monitor judges (and samples X0_METRICS for drift), ms. */
  TRAINER_CHECK_INTERVAL_MS: envInt(15_000, 50, 3_600_000),
  /** Metric messages read from the end of X0_METRICS at each check, for drift. */
  TRAINER_DRIFT_SAMPLE_MESSAGES: envInt(2000, 10, 1_000_000),
  /** Least time between two retraining triggers of one model from alerts, seconds. */
  TRAINER_RETRAIN_COOLDOWN_S: envInt(3600, 0),
  /** Parametrised outcomes of one component since its last adapter job that trigger a new one. */
  TRAINER_OUTCOMES_PER_RETRAIN: envInt(40, 1),
  /** A drift-triggered job starts this many seconds after the alert, so the new regime has data to learn from. */
  TRAINER_DRIFT_SETTLE_S: envInt(300, 0, 86_400),
  /**
   * An incident in the stored events lasts this long after its latest announcement unless a
   * recovery ended it: set it to the monitor's MONITOR_REALERT_S (an open incident is announced
   * again that often). Training data and drift leave incident samples out.
   */
  TRAINER_INCIDENT_TAIL_S: envInt(120, 1, 86_400),
  /**
   * An incident counts as one for at most this many seconds from its start: a change that
   * lasts longer (a component that now flaps, a lasting new level the monitor keeps
   * re-announcing) is how the component behaves, and drift is judged on it again.
   */
  TRAINER_INCIDENT_MAX_S: envInt(1800, 60, 604_800),
  /** Retrain every shared model every this many seconds (0: no schedule). */
  TRAINER_SCHEDULE_S: envInt(0, 0),
  /** Training data: the last this many seconds of X0_METRICS / X0_EVENTS. */
  TRAINER_DATA_WINDOW_S: envInt(3600, 1),
  /** Most metric messages replayed for one job (the newest are kept). */
  TRAINER_MAX_REPLAY_MESSAGES: envInt(200_000, 100),
  /** Share of the data window held out for the shadow evaluation (every k-th time block, the newest included). */
  TRAINER_HOLDOUT_FRACTION: envNumber(0.25, 0.05, 0.9),
  /** A challenger is promoted when its shadow loss is at least this fraction below the champion's. */
  TRAINER_SHADOW_MARGIN: envNumber(0.05, 0, 1),
  /** Fewest held-out samples the shadow evaluation decides on (fewer: stays challenger). */
  TRAINER_SHADOW_MIN_SAMPLES: envInt(50, 1),
  /** Training epochs of the detector forecaster and of action-parameter adapters. */
  TRAINER_DETECTOR_EPOCHS: envInt(6, 1, 1000),
  TRAINER_ADAPTER_EPOCHS: envInt(80, 1, 10_000),
  /** Epochs of a component's LoRA adapter of the detector forecaster (`x0 train detector --component c`; 30 as measured, docs/lora.md). */
  TRAINER_DETECTOR_ADAPTER_EPOCHS: envInt(30, 1, 10_000),
  /**
   * Components get their detector adapter without being asked: a component with no adapter
   * gets a `baseline` job once the trainer has sampled TRAINER_ADAPTER_MIN_ROWS of its rows,
   * one such job at a time (docs/trainer.md).
   */
  TRAINER_AUTO_ADAPTERS: envBool(true),
  /** Sampled rows of a component (outside incidents) within the last TRAINER_DATA_WINDOW_S before it gets an automatic adapter job. */
  TRAINER_ADAPTER_MIN_ROWS: envInt(600, 1, 100_000_000),
  /**
   * A component whose adapter does not serve (none won on the current base) gets another
   * automatic job this many seconds after its latest attempt (0: never); after a failed job, a
   * day (at most this).
   */
  TRAINER_ADAPTER_RETRY_S: envInt(604_800, 0),
  /**
   * Versions of each model kept after a registration besides those an alias holds or can roll
   * back to (ModelRegistry.prune): older ones are deleted (0: keep every version).
   */
  TRAINER_KEEP_VERSIONS: envInt(20, 0, 1_000_000),
  /** Jobs kept in the job list (KV), most recent. */
  TRAINER_JOB_HISTORY: envInt(200, 10, 100_000),
};

/**
 * Refuses a TRAINER_ACCURACY_WINDOW smaller than TRAINER_MIN_SAMPLES: the window would never
 * hold enough labels for accuracy to be judged. Throws InvalidArgumentError naming both.
 */
export function checkAccuracyWindow(c: { TRAINER_ACCURACY_WINDOW: number; TRAINER_MIN_SAMPLES: number }): void {
  if (c.TRAINER_ACCURACY_WINDOW < c.TRAINER_MIN_SAMPLES) {
    throw new InvalidArgumentError(
      'TRAINER_ACCURACY_WINDOW',
      `must be ≥ TRAINER_MIN_SAMPLES (${c.TRAINER_MIN_SAMPLES}): a smaller window never holds enough labels for accuracy to be judged, got ${c.TRAINER_ACCURACY_WINDOW}`,
    );
  }
}

/** How long an incident lasts for the trainer (TRAINER_INCIDENT_TAIL_S, TRAINER_INCIDENT_MAX_S), ms. */
export function incidentTiming(c: { TRAINER_INCIDENT_TAIL_S: number; TRAINER_INCIDENT_MAX_S: number }): IncidentTiming {
  return { tailMs: c.TRAINER_INCIDENT_TAIL_S * 1000, maxIncidentMs: c.TRAINER_INCIDENT_MAX_S * 1000 };
}
