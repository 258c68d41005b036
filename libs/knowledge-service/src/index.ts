export { knowledgeService } from './knowledge-service';
export { knowledgeConfigShape } from './knowledge-config';
export { IncidentStore, INCIDENTS_BUCKET, MAX_INCIDENT_RECORDS, incidentFromOutcome } from './incident-store';
export { EvidenceResponder, runbookQuery, type IncidentHistory } from './evidence-responder';
export { RunbookCatalog, type RunbookCatalogOptions } from './runbook-catalog';
export { RunbookRemovals, RUNBOOK_REMOVALS_BUCKET, type RunbookRemoval } from './runbook-removals';
