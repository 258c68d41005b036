export { knowledgeService, knowledgeConfigShape } from './knowledge-service';
export { IncidentStore, INCIDENTS_BUCKET, incidentFromOutcome } from './incident-store';
