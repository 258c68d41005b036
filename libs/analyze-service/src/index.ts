export { createAnalyzeService, analyzeConfigShape, type EvidenceProvider } from './analyze-service';
export { diagnose, NO_EVIDENCE, type Evidence, type SimilarIncident, type RunbookPassage } from './diagnose';
export { classifyCause, CAUSES, type Cause, type CauseHypothesis } from './cause-classifier';
export { knowledgeEvidence } from './knowledge-evidence';
