import { InvalidArgumentError } from '@x0/core';
import path from 'node:path';
import { createVectorStore, vectorStoreConfigFromEnv } from './create-vector-store';

describe('createVectorStore', () => {
  it('factory - picks Qdrant when a URL is set, the embedded store otherwise', () => {
    expect(createVectorStore({ dataDir: '/tmp/x' }).kind).toBe('embedded');
    expect(createVectorStore({ dataDir: '/tmp/x', qdrantUrl: 'http://localhost:6333' }).kind).toBe('qdrant');
  });

  it('env - reads QDRANT_URL, X0_DATA_DIR and X0_VECTOR_DURABILITY, naming a bad variable', () => {
    expect(vectorStoreConfigFromEnv({})).toEqual({ qdrantUrl: undefined, qdrantApiKey: undefined, dataDir: path.resolve('data'), durability: 'fsync' });
    expect(vectorStoreConfigFromEnv({ QDRANT_URL: 'http://q:6333', X0_DATA_DIR: '/var/x0', X0_VECTOR_DURABILITY: 'none' })).toEqual({
      qdrantUrl: 'http://q:6333',
      qdrantApiKey: undefined,
      dataDir: '/var/x0',
      durability: 'none',
    });
    expect(() => vectorStoreConfigFromEnv({ QDRANT_URL: 'q:6333' })).toThrow(new InvalidArgumentError('QDRANT_URL', "must be an http(s) URL, got 'q:6333'"));
    expect(() => vectorStoreConfigFromEnv({ X0_VECTOR_DURABILITY: 'maybe' })).toThrow("'X0_VECTOR_DURABILITY' must be 'fsync' or 'none'");
  });
});
