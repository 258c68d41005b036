/** Test helpers for the plan service: diagnoses to feed it, and reading what it published. */
import { deriveId } from '@x0/core';
import { Diagnosis, Severity, type CandidateAction } from '@x0/contracts';

/** What makeDiagnosis lets a test set; the rest is defaulted. */
export interface DiagnosisOptions {
  anomalyId?: string;
  kind?: string;
  severity?: Severity;
  cause?: string;
  confidence?: number;
  candidates?: CandidateAction[];
  timeMs?: number;
  /** The incident the anomaly announces (default: the anomaly's own, announcement 1); a re-announcement names the first anomaly's. */
  incidentId?: string;
  incidentStartMs?: number;
  announcement?: number;
}

/** A valid Diagnosis for `component` (ids derived from `anomalyId`), of incident `incidentId` (default: its own). */
export function makeDiagnosis(component: string, o: DiagnosisOptions = {}): Diagnosis {
  const anomalyId = o.anomalyId ?? deriveId('an', component, Math.random());
  const timeMs = o.timeMs ?? Date.now();
  const diagnosisId = deriveId('dg', anomalyId);
  return Diagnosis.fromPartial({
    meta: { id: diagnosisId, parentId: anomalyId, component, timeMs, source: 'analyze' },
    incident: {
      anomalyId,
      batchId: `mb_${anomalyId}`,
      component,
      kind: o.kind ?? 'web',
      severity: o.severity ?? Severity.SEVERITY_HIGH,
      score: 0.9,
      metrics: ['cpu'],
      cause: o.cause ?? 'cpu_saturation',
      diagnosisId,
      detectedMs: timeMs,
      incidentId: o.incidentId ?? anomalyId,
      incidentStartMs: o.incidentStartMs ?? timeMs,
      announcement: o.announcement ?? 1,
    },
    probableCause: o.cause ?? 'cpu_saturation',
    confidence: o.confidence ?? 0.8,
    summary: 'test diagnosis',
    candidates: o.candidates ?? [],
  });
}

export { publishEvent, readEvents, waitFor } from '@x0/bus/testing';
