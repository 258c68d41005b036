export { createAnalyzeService, analyzeConfigShape, type EvidenceProvider } from './analyze-service';
export { continuation, diagnose, EVIDENCE_UNAVAILABLE, NO_EVIDENCE, type Evidence, type SimilarIncident, type RunbookPassage, type TriedAction } from './diagnose';
export { classifyCause, CAUSES, type Cause, type CauseHypothesis } from './cause-classifier';
export { knowledgeEvidence } from './knowledge-evidence';
