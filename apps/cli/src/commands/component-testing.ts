import { Anomaly, Severity } from '@x0/contracts';

/** A metric an announcement names, as the tests of `x0 component` write it. */
export interface MovedMetric {
  metric: string;
  value: number;
  expected: number;
  score: number;
}

/**
 * Announcement `n` of demo-queue's incident `an_<tag>1`, opened at `startMs` (announcement 1 is
 * an_<tag>1 itself, the others an_<tag><n>): a high-severity anomaly at `timeMs` naming `metrics`.
 */
export function queueAnnouncement(tag: string, n: number, timeMs: number, startMs: number, metrics: readonly MovedMetric[]): Anomaly {
  return Anomaly.fromPartial({
    meta: { id: `an_${tag}${n}`, component: 'demo-queue', timeMs },
    score: 0.93,
    severity: Severity.SEVERITY_HIGH,
    metrics: [...metrics],
    incidentId: `an_${tag}1`,
    incidentStartMs: startMs,
    announcement: n,
  });
}
