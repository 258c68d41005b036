import { InvalidArgumentError } from '@x0/core';

/** The champion's and the challenger's loss on the same held-out recent traffic. */
export interface ShadowScores {
  /** Name of the loss, e.g. 'huber' (forecast error) or 'log_loss' (recovery predictions). */
  metric: string;
  champion: number;
  challenger: number;
  /** Held-out samples both were scored on. */
  samples: number;
  /** Champion's version ('' when there was none, e.g. an adapter's first version). */
  championVersion: string;
}

/** Verdict of a shadow evaluation. */
export interface ShadowDecision {
  decision: 'promote' | 'keep';
  /** One sentence with the numbers, recorded in the job, the alias history and the events. */
  reason: string;
  /** (champion − challenger) / champion: the relative improvement; negative when worse. */
  improvement: number;
}

/**
 * Decides on a challenger from shadow scores (lower loss is better): `promote` only when
 * its loss is at least `margin` (a fraction) below the champion's on at least `minSamples`
 * held-out samples; otherwise `keep` it as a challenger, with the reason. A non-finite
 * loss keeps. Throws InvalidArgumentError on a bad margin.
 */
export function decideShadow(scores: ShadowScores, options: { margin: number; minSamples: number }): ShadowDecision {
  const { margin, minSamples } = options;
  if (!(margin >= 0 && margin < 1)) throw new InvalidArgumentError('margin', `must be in [0, 1), got ${margin}`);
  const { champion, challenger, samples, metric } = scores;
  const who = scores.championVersion ? `champion ${scores.championVersion}` : 'the base alone';
  if (samples < minSamples) {
    return { decision: 'keep', improvement: 0, reason: `only ${samples} held-out samples, at least ${minSamples} are needed to compare ${metric}` };
  }
  if (!Number.isFinite(champion) || !Number.isFinite(challenger)) {
    return { decision: 'keep', improvement: 0, reason: `${metric} is not finite (champion ${champion}, challenger ${challenger})` };
  }
  const improvement = champion > 0 ? (champion - challenger) / champion : challenger < champion ? 1 : 0;
  const promote = improvement >= margin - 1e-12;
  const verb = promote ? 'beats' : 'does not beat';
  const reason =
    `challenger ${metric} ${r4(challenger)} ${verb} ${who} ${r4(champion)} by the margin of ${pct(margin)} ` +
    `(${improvement >= 0 ? 'improvement' : 'regression'} ${pct(Math.abs(improvement))}) on ${samples} held-out samples`;
  return { decision: promote ? 'promote' : 'keep', reason, improvement };
}

function r4(v: number): number {
  return Math.round(v * 10_000) / 10_000;
}

function pct(v: number): string {
  return `${Math.round(v * 1000) / 10}%`;
}
