export { knowledgeService } from './knowledge-service';
export { knowledgeConfigShape } from './knowledge-config';
export { IncidentStore, INCIDENTS_BUCKET, incidentFromOutcome } from './incident-store';
export { EvidenceResponder, runbookQuery } from './evidence-responder';
export { RunbookCatalog, type RunbookCatalogOptions } from './runbook-catalog';
export { RunbookRemovals, RUNBOOK_REMOVALS_BUCKET, type RunbookRemoval } from './runbook-removals';
