import { loadConfig } from '@x0/service-kit';
import { knowledgeConfigShape } from './knowledge-config';

describe('knowledge config', () => {
  const runbooksDir = (env: NodeJS.ProcessEnv) => loadConfig(knowledgeConfigShape, env).KNOWLEDGE_RUNBOOKS_DIR;

  it('KNOWLEDGE_RUNBOOKS_DIR - unset loads deploy/runbooks, a path loads that folder, empty loads none', () => {
    expect(runbooksDir({})).toBe('deploy/runbooks');
    expect(runbooksDir({ KNOWLEDGE_RUNBOOKS_DIR: ' /srv/runbooks ' })).toBe('/srv/runbooks');
    expect(runbooksDir({ KNOWLEDGE_RUNBOOKS_DIR: '' })).toBe('');
    expect(runbooksDir({ KNOWLEDGE_RUNBOOKS_DIR: '  ' })).toBe('');
  });

  it('empty values of the other variables still take their defaults', () => {
    const c = loadConfig(knowledgeConfigShape, { KNOWLEDGE_INCIDENT_INDEX: '', EMBEDDINGS_URL: '', QDRANT_URL: '' });
    expect([c.KNOWLEDGE_INCIDENT_INDEX, c.EMBEDDINGS_URL, c.QDRANT_URL]).toEqual([10_000, undefined, undefined]);
  });
});
