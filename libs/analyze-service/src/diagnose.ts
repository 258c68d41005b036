import { deriveId, formatSpan, InvalidArgumentError } from '@x0/core';
import { Diagnosis, incidentOfAnomaly, type Anomaly, type CandidateAction, type Citation, type IncidentContext } from '@x0/contracts';
import { classifyCause, type Cause } from './cause-classifier';

/** A past incident similar to the one being diagnosed. */
export interface SimilarIncident {
  id: string;
  similarity: number;
  cause: string;
  action: string;
  recovered: boolean;
}

/** A runbook passage that matches the anomaly. */
export interface RunbookPassage {
  id: string;
  title: string;
  text: string;
  score: number;
  /** Cause the runbook is about ('' when it does not say). */
  cause: string;
  /** Actions the passage recommends. */
  actions: string[];
}

/** One action already tried on the incident an anomaly re-announces. */
export interface TriedAction {
  action: string;
  /** Outcomes recorded for it on this incident, and how many recovered. */
  attempts: number;
  recovered: number;
}

/** Evidence gathered for one anomaly (empty on a brand-new system without knowledge). */
export interface Evidence {
  /** Similar past incidents: other incidents, never records of the one the anomaly announces. */
  incidents: SimilarIncident[];
  runbooks: RunbookPassage[];
  /**
   * What was tried on the anomaly's incident so far (its earlier announcements' outcomes), in
   * the order first tried; undefined when not known (no knowledge service answered).
   */
  tried?: TriedAction[];
  /** Knowledge did not answer: the empty lists are not "nothing found" but "not consulted". */
  unavailable?: boolean;
  /**
   * Knowledge answered but could not search one part (its reason): the empty list is not
   * "nothing found". E.g. `incidents`: the anomaly's signature has another length than the
   * stored ones (a detector with another signature size).
   */
  failed?: { incidents?: string; runbooks?: string };
}

export const NO_EVIDENCE: Evidence = { incidents: [], runbooks: [] };

/**
 * The evidence of an anomaly knowledge did not answer for (timeout, no responders): the summary
 * says so instead of 'no similar past incident' — after a restart the first re-announcement of a
 * lasting fault read as if it had no history (and no 'tried …') while knowledge was still starting.
 */
export const EVIDENCE_UNAVAILABLE: Evidence = { incidents: [], runbooks: [], unavailable: true };

/**
 * Checks the metrics a diagnosis is made from: each names its metric, and its value, expected
 * value and score are finite (a NaN score made every metric's vote NaN, and the cause came from
 * the runbook search alone: `cpu=NaN` with a latency 5× its baseline was diagnosed `gc_pauses`).
 * Throws InvalidArgumentError naming the field: the service dead-letters the anomaly with it.
 */
export function validateAnomalyMetrics(anomaly: Anomaly): void {
  anomaly.metrics.forEach((m, i) => {
    if (!m.metric.trim()) throw new InvalidArgumentError(`metrics[${i}].metric`, 'must not be empty');
    for (const field of ['value', 'expected', 'score'] as const) {
      if (!Number.isFinite(m[field])) throw new InvalidArgumentError(`metrics[${i}].${field}`, `must be finite, got ${m[field]} (metric ${JSON.stringify(m.metric)})`);
    }
  });
}

/**
 * Builds the diagnosis of an anomaly: the probable cause (from the deviating metrics, then
 * confirmed or overruled by similar past incidents and matching runbooks), candidate actions
 * with how often each worked on similar incidents, a confidence and the citations. Throws
 * InvalidArgumentError for an anomaly whose metrics cannot be read (validateAnomalyMetrics).
 */
export function diagnose(anomaly: Anomaly, given: Evidence = NO_EVIDENCE, now = Date.now()): Diagnosis {
  validateAnomalyMetrics(anomaly);
  const meta = anomaly.meta!;
  // An anomaly from an older monitor names no incident: it is its own.
  const incidentId = incidentOfAnomaly(anomaly);
  // A record of this very incident is not a similar past one (a knowledge service that does not
  // leave them out itself still sends the opening announcement's under the incident's id). Nor
  // is one whose signature points away from this one's: knowledge answers the k nearest however
  // far, and a similarity ≤ 0 was counted among the "similar past incident(s)" and voted with a
  // negative weight (lowering its cause's votes and raising the winner's share).
  const evidence: Evidence = {
    ...given,
    incidents: given.incidents.filter((i) => i.id !== incidentId && i.id !== meta.id && Number.isFinite(i.similarity) && i.similarity > 0),
  };
  const hypotheses = classifyCause(anomaly.metrics);
  const votes = new Map<string, number>();
  for (const h of hypotheses) votes.set(h.cause, (votes.get(h.cause) ?? 0) + h.support);
  // Similar incidents vote with their similarity; runbooks with their (rank-normalised) score.
  for (const inc of evidence.incidents) if (inc.cause) votes.set(inc.cause, (votes.get(inc.cause) ?? 0) + 0.5 * inc.similarity);
  const topRunbook = evidence.runbooks[0]?.score ?? 0;
  for (const rb of evidence.runbooks) if (rb.cause && topRunbook > 0) votes.set(rb.cause, (votes.get(rb.cause) ?? 0) + 0.3 * (rb.score / topRunbook));
  const ranked = [...votes.entries()].sort((a, b) => b[1] - a[1] || (a[0] === 'unknown' ? 1 : -1));
  let [cause, weight] = ranked[0] ?? ['unknown', 0];
  // 'unknown' only wins when nothing else has any support.
  if (cause === 'unknown' && ranked.length > 1 && ranked[1][1] > 0) [cause, weight] = ranked[1];
  const totalVotes = ranked.reduce((s, [, w]) => s + w, 0) || 1;
  const confidence = clamp01((weight / totalVotes) * (0.5 + 0.5 * anomaly.score));

  const candidates = candidateActions(cause, evidence, incidentId === meta.id ? [] : (evidence.tried ?? []));
  const citations: Citation[] = [
    ...evidence.incidents.slice(0, 5).map((i) => ({
      kind: 'incident',
      id: i.id,
      title: `${i.cause || 'unknown'} → ${i.action || 'no action'} (${i.recovered ? 'recovered' : 'not recovered'})`,
      score: i.similarity,
      excerpt: '',
    })),
    ...evidence.runbooks.slice(0, 3).map((r) => ({ kind: 'runbook', id: r.id, title: r.title, score: r.score, excerpt: r.text.slice(0, 280) })),
  ];
  const incident: IncidentContext = {
    anomalyId: meta.id,
    batchId: meta.parentId,
    component: meta.component,
    kind: anomaly.kind,
    severity: anomaly.severity,
    score: anomaly.score,
    signature: anomaly.signature,
    metrics: anomaly.metrics.map((m) => m.metric),
    cause,
    diagnosisId: deriveId('dg', meta.id),
    planId: '',
    policyId: '',
    action: '',
    actionId: '',
    detectedMs: meta.timeMs,
    incidentId,
    incidentStartMs: anomaly.incidentStartMs || meta.timeMs,
    announcement: anomaly.announcement || 1,
  };
  const top = hypotheses.find((h) => h.cause === cause);
  const summary =
    `${cause.replace(/_/g, ' ')} on ${meta.component}` +
    (top && top.metrics.length > 0 ? ` (${top.metrics.slice(0, 3).join(', ')} off baseline)` : '') +
    continuation(incident, meta.timeMs, evidence.tried) +
    (given.unavailable
      ? '; evidence unavailable (knowledge did not answer): past incidents and runbooks not consulted'
      : evidence.incidents.length > 0
        ? `; ${evidence.incidents.length} similar past incident(s)`
        : given.failed?.incidents
          ? `; past incidents not searched (knowledge: ${given.failed.incidents})`
          : '; no similar past incident') +
    (evidence.runbooks.length > 0
      ? `; runbook: ${(evidence.runbooks.find((r) => r.cause === cause) ?? evidence.runbooks[0]).title}`
      : given.failed?.runbooks
        ? `; runbooks not searched (knowledge: ${given.failed.runbooks})`
        : '');
  return Diagnosis.fromPartial({
    meta: { id: incident.diagnosisId, parentId: meta.id, component: meta.component, timeMs: now, source: 'analyze' },
    incident,
    probableCause: cause,
    confidence,
    summary,
    candidates,
    citations,
  });
}

/**
 * For a re-announcement, what the summary says of the incident it continues:
 * `; continues incident an_1 (open 13m, announcement 5); tried throttle ×3, not recovered`.
 * '' for the announcement that opened the incident.
 */
export function continuation(incident: IncidentContext, timeMs: number, tried: readonly TriedAction[] | undefined): string {
  if (incident.incidentId === incident.anomalyId) return '';
  const open = incident.incidentStartMs > 0 && timeMs >= incident.incidentStartMs ? `open ${formatSpan(timeMs - incident.incidentStartMs)}, ` : '';
  const head = `; continues incident ${incident.incidentId} (${open}announcement ${incident.announcement})`;
  if (!tried) return head;
  const acted = tried.filter((t) => t.action && t.attempts > 0);
  if (acted.length === 0) return `${head}; no outcome recorded on it yet`;
  const recovered = acted.some((t) => t.recovered > 0);
  return `${head}; tried ${acted.map((t) => `${t.action} ×${t.attempts}${t.recovered > 0 ? ` (${t.recovered} recovered)` : ''}`).join(', ')}${recovered ? '' : ', not recovered'}`;
}

function candidateActions(cause: string, evidence: Evidence, tried: readonly TriedAction[]): CandidateAction[] {
  // Attempts on this very incident that did not recover (a lasting fault's own history).
  const failedHere = new Map(tried.map((t) => [t.action, t.attempts - t.recovered]));
  const byAction = new Map<string, { n: number; ok: number; sim: number; runbook: boolean }>();
  for (const i of evidence.incidents) {
    if (!i.action) continue;
    const e = byAction.get(i.action) ?? { n: 0, ok: 0, sim: 0, runbook: false };
    e.n++;
    if (i.recovered) e.ok++;
    e.sim += i.similarity;
    byAction.set(i.action, e);
  }
  for (const r of evidence.runbooks) {
    if (r.cause && r.cause !== cause) continue;
    for (const a of r.actions) {
      const e = byAction.get(a) ?? { n: 0, ok: 0, sim: 0, runbook: false };
      e.runbook = true;
      byAction.set(a, e);
    }
  }
  return [...byAction.entries()]
    .map(([action, e]) => ({
      action,
      similarIncidents: e.n,
      successes: e.ok,
      // Evidence weight: similarity-weighted success share, plus a little for a runbook mention.
      support: clamp01((e.n > 0 ? (e.ok / e.n) * Math.min(1, e.sim / e.n) : 0) * 0.8 + (e.runbook ? 0.2 : 0)),
      rationale:
        (e.n > 0 ? `worked on ${e.ok} of ${e.n} similar incident(s)` : 'no similar incident used it') +
        (e.runbook ? '; recommended by the runbook' : '') +
        (failedHere.get(action) ? `; not recovered ×${failedHere.get(action)} on this incident` : ''),
    }))
    // Equal support (e.g. the runbook's 0.2 alone): an action that failed on this incident or on
    // similar ones goes after one nobody has tried (it failed 3 times on a lasting fault and still came first).
    .sort((a, b) => b.support - a.support || failures(a, failedHere) - failures(b, failedHere));
}

function failures(c: CandidateAction, failedHere: ReadonlyMap<string, number>): number {
  return c.similarIncidents - c.successes + (failedHere.get(c.action) ?? 0);
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, Number.isFinite(x) ? x : 0));
}

export type { Cause };
