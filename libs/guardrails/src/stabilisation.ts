import { formatDuration } from './types';

/** Settings of the stabilisation window, in milliseconds. */
export interface StabilisationSettings {
  minConsecutive: number;
  minPersistMs: number;
  episodeGapMs: number;
  flapWindowMs: number;
}

interface Episode {
  firstMs: number;
  lastMs: number;
  count: number;
}

/** Answer of StabilisationTracker.check. */
export interface StabilisationCheck {
  ok: boolean;
  detail: string;
}

/**
 * Guards against acting on noise and against flapping.
 *
 * An *episode* is a run of anomalies of one component with no gap longer than
 * `episodeGapMs`. A component may be acted on once its current episode has `minConsecutive`
 * anomalies or has lasted `minPersistMs` (whichever comes first; a threshold of 0 is not
 * required, both 0 disables the persistence check). A component that recovered less than
 * `flapWindowMs` ago and is anomalous again is *flapping*: no automatic action until
 * `flapWindowMs` after that recovery.
 */
export class StabilisationTracker {
  private readonly episodes = new Map<string, Episode>();
  private readonly recoveries = new Map<string, number>();

  constructor(private readonly settings: StabilisationSettings) {}

  /** Records one anomaly of `component` at `now`. */
  observeAnomaly(component: string, now: number): void {
    const ep = this.episodes.get(component);
    if (!ep || now - ep.lastMs > this.settings.episodeGapMs) {
      this.episodes.set(component, { firstMs: now, lastMs: now, count: 1 });
      return;
    }
    ep.lastMs = Math.max(ep.lastMs, now);
    ep.count++;
  }

  /** Records that `component` recovered at `now`: its episode ends. */
  observeRecovery(component: string, now: number): void {
    this.episodes.delete(component);
    this.recoveries.set(component, now);
  }

  /**
   * Whether `component` has been anomalous long enough, and is not flapping, at `now`.
   * `assumeAnomaly`: answer as if one more anomaly were observed at `now`, without
   * recording it (a what-if for an anomaly that is not real).
   */
  check(component: string, now: number, assumeAnomaly = false): StabilisationCheck {
    const { minConsecutive, minPersistMs, episodeGapMs, flapWindowMs } = this.settings;
    const recoveredAt = this.recoveries.get(component);
    const current = this.episodes.get(component);
    const ep = assumeAnomaly ? withAnomaly(current, now, episodeGapMs) : current;
    if (recoveredAt !== undefined && now - recoveredAt < flapWindowMs && ep) {
      return {
        ok: false,
        detail: `flapping: recovered ${formatDuration(now - recoveredAt)} ago and anomalous again; no automatic action for ${formatDuration(recoveredAt + flapWindowMs - now)}`,
      };
    }
    if (minConsecutive === 0 && minPersistMs === 0) return { ok: true, detail: '' };
    if (!ep || now - ep.lastMs > episodeGapMs) return { ok: false, detail: 'no current anomaly observed for this component' };
    const lasted = now - ep.firstMs;
    const seen = `${ep.count} ${ep.count === 1 ? 'anomaly' : 'anomalies'} over ${formatDuration(lasted)}`;
    if ((minConsecutive > 0 && ep.count >= minConsecutive) || (minPersistMs > 0 && lasted >= minPersistMs)) {
      return { ok: true, detail: seen };
    }
    const need = [minConsecutive > 0 ? `${minConsecutive} in a row` : '', minPersistMs > 0 ? formatDuration(minPersistMs) : '']
      .filter(Boolean)
      .join(' or ');
    return { ok: false, detail: `${seen}; need ${need}` };
  }

  /** Forgets episodes and recoveries that can no longer matter at `now`. */
  prune(now: number): void {
    for (const [c, ep] of this.episodes) if (now - ep.lastMs > this.settings.episodeGapMs) this.episodes.delete(c);
    for (const [c, t] of this.recoveries) if (now - t >= this.settings.flapWindowMs) this.recoveries.delete(c);
  }
}

/** The episode as it would be after one more anomaly at `now` (a copy; nothing is recorded). */
function withAnomaly(ep: Episode | undefined, now: number, episodeGapMs: number): Episode {
  if (!ep || now - ep.lastMs > episodeGapMs) return { firstMs: now, lastMs: now, count: 1 };
  return { firstMs: ep.firstMs, lastMs: Math.max(ep.lastMs, now), count: ep.count + 1 };
}
