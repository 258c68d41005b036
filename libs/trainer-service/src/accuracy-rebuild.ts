import { errorMessage } from '@x0/core';
import type { ModelMonitor } from '@x0/model-monitor';
import { DETECTOR_MODEL } from '@x0/model-serving';
import type { Logger } from '@x0/service-kit';
import type { Feedback, FeedbackTracker } from './feedback';

/** Options of {@link rebuildAccuracy}: whose window, from which feedback. */
export interface AccuracyRebuild {
  feedback: FeedbackTracker;
  logger: Logger;
  model: string;
  /** The champion's registry version (for the log). */
  version: string;
  /** Versions whose predictions are the champion's (see PerformanceMonitor). */
  servedAs: ReadonlySet<string>;
  /** The champion's monitor, freshly made: the window to fill. */
  monitor: ModelMonitor;
  /** Labelled predictions its accuracy window holds (the most recent): no older feedback is read. */
  windowSize: number;
  /** When the alias moved to the champion (the start of its record). */
  sinceMs: number;
}

/**
 * Rebuilds the champion's accuracy window from the stored feedback since it took over (the
 * window and its alerts live in memory; the events are stored): the detector's from the
 * Label events, an action-parameter model's from the outcomes of the actions it advised,
 * read from the newest back until they fill the window (older ones would have left it). A
 * restarted trainer thus judges the same accuracy as before, and an accuracy alert it
 * carries stays in force. Returns the events read; a failed read is logged (only new
 * feedback counts then) and returns 0.
 */
export async function rebuildAccuracy(o: AccuracyRebuild): Promise<number> {
  let counted = 0;
  const counts = (f: Feedback) => f.model === o.model && o.servedAs.has(f.version);
  const record = (f: Feedback) => {
    if (!counts(f)) return;
    o.monitor.recordFeedback({ predicted: f.predicted, actual: f.actual, key: f.key });
    counted++;
  };
  const window = { size: o.windowSize, counts };
  try {
    const read = o.model === DETECTOR_MODEL ? await o.feedback.replayLabels(o.sinceMs, window, record) : await o.feedback.replayAdvisedOutcomes(o.sinceMs, window, record);
    o.logger.info({ model: o.model, version: o.version, read, counted }, 'accuracy window rebuilt from the stored feedback');
    return read;
  } catch (err) {
    o.logger.warn({ model: o.model, version: o.version, err: errorMessage(err) }, 'accuracy window not rebuilt: only new feedback counts');
    return 0;
  }
}
