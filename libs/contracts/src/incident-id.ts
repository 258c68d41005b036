import type { IncidentContext } from './generated/x0/v1/common.pb';
import type { Anomaly } from './generated/x0/v1/events.pb';
import type { Incident } from './generated/x0/v1/knowledge.pb';

/**
 * The incident an anomaly announces: its `incident_id`, or, from a monitor older than the
 * field, the anomaly's own id (each of its anomalies opened an incident). '' without either.
 */
export function incidentOfAnomaly(a: Pick<Anomaly, 'incidentId' | 'meta'> | undefined): string {
  return a?.incidentId || a?.meta?.id || '';
}

/** The incident an IncidentContext is about: its `incident_id`, or (older events) the anomaly's id. '' without either. */
export function incidentOfContext(c: Pick<IncidentContext, 'incidentId' | 'anomalyId'> | undefined): string {
  return c?.incidentId || c?.anomalyId || '';
}

/** The incident a knowledge record belongs to: its context's incident id, or (a record from an older monitor) its anomaly id, or its own id. */
export function incidentOfRecord(i: Pick<Incident, 'context' | 'id'>): string {
  return incidentOfContext(i.context) || i.id;
}
