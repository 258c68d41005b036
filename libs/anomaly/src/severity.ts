import { DEFAULT_DETECTOR_OPTIONS, type Severity, type SeverityThresholds } from './types';

/**
 * Maps a calibrated score to a severity: below `low` is 'none', then low / medium / high.
 * Defaults (0.2 / 0.5 / 0.8: posterior odds 1:4, 1:1 and 4:1) are documented in
 * docs/anomaly-detection.md.
 */
export function severityOf(score: number, thresholds: SeverityThresholds = DEFAULT_DETECTOR_OPTIONS.thresholds): Severity {
  if (!(score >= thresholds.low)) return 'none';
  if (score >= thresholds.high) return 'high';
  if (score >= thresholds.medium) return 'medium';
  return 'low';
}

/**
 * Calibration of the combined surprise S = -log10 p (p: tail probability of the sample under
 * its component's own history, corrected for the number of statistics and metrics) into [0,1]
 * as a posterior probability: with prior odds of an anomaly 10^-PRIOR_LOG10_ODDS and a
 * likelihood ratio of (1/p)^EVIDENCE_WEIGHT,
 *
 *   score = 1 / (1 + 10^((PRIOR_LOG10_ODDS - S) · EVIDENCE_WEIGHT))
 *
 * So 0.2 = odds 1:4 (S ≈ 1.8), 0.5 = even odds (S = 3, p = 1e-3), 0.8 = 4:1 (S ≈ 4.2). The evidence is
 * tempered (weight ½) because tail probabilities estimated from a finite history are optimistic.
 */
export const PRIOR_LOG10_ODDS = 3;
export const EVIDENCE_WEIGHT = 0.5;

/** Score of a surprise (see PRIOR_LOG10_ODDS / EVIDENCE_WEIGHT). */
const SCORE_OF_NOTHING = 1 / (1 + Math.pow(10, PRIOR_LOG10_ODDS * EVIDENCE_WEIGHT));
export function scoreOfSurprise(surprise: number): number {
  if (!(surprise > 0)) return SCORE_OF_NOTHING;
  return 1 / (1 + Math.pow(10, (PRIOR_LOG10_ODDS - surprise) * EVIDENCE_WEIGHT));
}

/** Inverse of `scoreOfSurprise` on (0,1): the surprise a score stands for. */
export function surpriseOfScore(score: number): number {
  if (!(score > 0)) return Number.NEGATIVE_INFINITY;
  if (score >= 1) return Number.POSITIVE_INFINITY;
  return PRIOR_LOG10_ODDS - Math.log10(1 / score - 1) / EVIDENCE_WEIGHT;
}

/** Rejects thresholds that are not 0 < low ≤ medium ≤ high ≤ 1. */
export function checkThresholds(t: SeverityThresholds): string | undefined {
  const ok = [t.low, t.medium, t.high].every((x) => Number.isFinite(x) && x > 0 && x <= 1);
  if (!ok || !(t.low <= t.medium && t.medium <= t.high)) return 'thresholds must satisfy 0 < low <= medium <= high <= 1';
  return undefined;
}
