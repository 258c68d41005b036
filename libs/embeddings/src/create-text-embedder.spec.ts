import { createTextEmbedder, embedderConfigFromEnv } from './create-text-embedder';

describe('createTextEmbedder', () => {
  it('env - picks the endpoint when EMBEDDINGS_URL is set, the hashed embedder otherwise', () => {
    expect(createTextEmbedder(embedderConfigFromEnv({})).id).toMatch(/^hashed-ngram-v1:d256/);
    expect(createTextEmbedder(embedderConfigFromEnv({ EMBEDDINGS_DIM: '128' })).dim).toBe(128);
    expect(createTextEmbedder(embedderConfigFromEnv({ EMBEDDINGS_URL: 'http://ollama:11434', EMBEDDINGS_MODEL: 'nomic-embed-text' })).id).toBe('openai-compatible:nomic-embed-text');
    expect(() => createTextEmbedder(embedderConfigFromEnv({ EMBEDDINGS_URL: 'http://x' }))).toThrow("'EMBEDDINGS_MODEL' must be set when EMBEDDINGS_URL is");
    expect(() => embedderConfigFromEnv({ EMBEDDINGS_DIM: 'big' })).toThrow("'EMBEDDINGS_DIM' must be an integer >= 8, got 'big'");
  });
});
