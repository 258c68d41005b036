import { DEFAULT_DETECTOR_OPTIONS, type Severity, type SeverityThresholds } from './types';

/**
 * Maps a calibrated score to a severity: below `low` is 'none', then low / medium / high.
 * Defaults (0.5 / 0.7 / 0.9) are documented in docs/anomaly-detection.md.
 */
export function severityOf(score: number, thresholds: SeverityThresholds = DEFAULT_DETECTOR_OPTIONS.thresholds): Severity {
  if (!(score >= thresholds.low)) return 'none';
  if (score >= thresholds.high) return 'high';
  if (score >= thresholds.medium) return 'medium';
  return 'low';
}

/**
 * Calibration of the combined surprise S = -log10 p (p: tail probability of the sample under
 * its component's own history, corrected for the number of metrics) into [0,1]:
 * score = a / (a + SCORE_HALF), a = max(0, S - SCORE_FLOOR). Monotone, never saturates
 * (so a threshold sweep keeps its resolution), 0 for anything a typical day produces.
 */
export const SCORE_FLOOR = Number(process.env.X0_FLOOR ?? 3);
export const SCORE_HALF = 2;

/** Score of a surprise (see SCORE_FLOOR / SCORE_HALF). */
export function scoreOfSurprise(surprise: number): number {
  const a = surprise - SCORE_FLOOR;
  return a > 0 ? a / (a + SCORE_HALF) : 0;
}

/** Inverse of `scoreOfSurprise` on (0,1): the surprise a score stands for. */
export function surpriseOfScore(score: number): number {
  if (!(score > 0)) return SCORE_FLOOR;
  if (score >= 1) return Number.POSITIVE_INFINITY;
  return SCORE_FLOOR + (SCORE_HALF * score) / (1 - score);
}

/** Rejects thresholds that are not 0 < low ≤ medium ≤ high ≤ 1. */
export function checkThresholds(t: SeverityThresholds): string | undefined {
  const ok = [t.low, t.medium, t.high].every((x) => Number.isFinite(x) && x > 0 && x <= 1);
  if (!ok || !(t.low <= t.medium && t.medium <= t.high)) return 'thresholds must satisfy 0 < low <= medium <= high <= 1';
  return undefined;
}
