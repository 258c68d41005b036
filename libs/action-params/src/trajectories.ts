import { ActionStatus, Verdict, severityFromProto, severityRank, type ActionResult, type Outcome } from '@x0/contracts';
import { encodeFeatures, gridOf, hasParams, specOf, strengthOf, type IncidentFeatures } from './action-space';

/** One outcome of one parametrised action: what was tried, on what, and whether it worked. */
export interface Trajectory {
  component: string;
  action: string;
  /** The parameter value used (e.g. delta 2). */
  value: number;
  /** Anomaly score and severity (0..3) of the incident. */
  score: number;
  severity: number;
  recovered: boolean;
  /** 0 when not recovered. */
  timeToRecoverMs: number;
  timeMs: number;
}

/**
 * Joins outcomes with the actions they verify (`Outcome.action_id` = the ActionResult's id)
 * into trajectories. Kept: succeeded, non-dry-run actions of a parametrised action (see
 * ACTION_PARAMS) whose params hold a numeric value, with a recovered / not-recovered verdict.
 * Dry runs, failed actions and unverified outcomes say nothing about the parameter.
 */
export function trajectoriesFromEvents(actions: readonly ActionResult[], outcomes: readonly Outcome[]): Trajectory[] {
  const byId = new Map<string, ActionResult>();
  for (const a of actions) if (a.meta?.id) byId.set(a.meta.id, a);
  const out: Trajectory[] = [];
  for (const o of outcomes) {
    if (o.verdict !== Verdict.VERDICT_RECOVERED && o.verdict !== Verdict.VERDICT_NOT_RECOVERED) continue;
    const a = byId.get(o.actionId);
    if (!a || a.dryRun || a.status !== ActionStatus.ACTION_STATUS_SUCCEEDED || !hasParams(a.action)) continue;
    const value = Number(a.params[specOf(a.action).param]);
    if (!Number.isFinite(value)) continue;
    const inc = o.incident ?? a.incident;
    out.push({
      component: o.meta?.component ?? a.meta?.component ?? '',
      action: a.action,
      value,
      score: clamp01(inc?.score ?? 0),
      severity: severityRank(severityFromProto(inc?.severity ?? 0)),
      recovered: o.verdict === Verdict.VERDICT_RECOVERED,
      timeToRecoverMs: o.verdict === Verdict.VERDICT_RECOVERED ? o.timeToRecoverMs : 0,
      timeMs: o.meta?.timeMs ?? 0,
    });
  }
  return out;
}

/**
 * Training rows of trajectories: features and the recovered label. With `monotone` (default
 * true) every trajectory also implies rows at the other grid values under the assumption
 * that a stronger remedy never makes recovery less likely: a recovery at strength s implies
 * recoveries at every stronger value, a failure implies failures at every milder one. That
 * assumption holds for adding replicas and shedding load, and lets a handful of outcomes
 * shape the whole curve.
 */
export function trainingRows(trajectories: readonly Trajectory[], monotone = true): { x: number[][]; y: number[]; impliedSteps: number[] } {
  const x: number[][] = [];
  const y: number[] = [];
  // per row: 0 for an observed outcome; for an implied row, the steps of its action's grid (values − 1)
  const impliedSteps: number[] = [];
  for (const t of trajectories) {
    const incident: IncidentFeatures = { score: t.score, severity: t.severity };
    const s = strengthOf(t.action, t.value);
    x.push(encodeFeatures(t.action, incident, s));
    y.push(t.recovered ? 1 : 0);
    impliedSteps.push(0);
    if (!monotone) continue;
    const grid = gridOf(t.action);
    for (const v of grid) {
      const sv = strengthOf(t.action, v);
      if ((t.recovered && sv > s + 1e-9) || (!t.recovered && sv < s - 1e-9)) {
        x.push(encodeFeatures(t.action, incident, sv));
        y.push(t.recovered ? 1 : 0);
        impliedSteps.push(grid.length - 1);
      }
    }
  }
  return { x, y, impliedSteps };
}

function clamp01(v: number): number {
  return Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0;
}
