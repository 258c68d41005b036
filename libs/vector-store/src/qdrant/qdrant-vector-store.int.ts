import { UnavailableError } from '@x0/core';
import { describeVectorStoreContract } from '../testing';
import { QdrantVectorStore } from './qdrant-vector-store';

const url = process.env.QDRANT_URL;

if (url) {
  describeVectorStoreContract(`QdrantVectorStore (${url})`, async () => {
    const store = new QdrantVectorStore({ url, apiKey: process.env.QDRANT_API_KEY });
    await store.start();
    return { store, cleanup: () => store.stop() };
  });
} else {
  // No Qdrant server runs in this environment: the contract runs when QDRANT_URL points at one.
  describe.skip('QdrantVectorStore - VectorStore contract (skipped: set QDRANT_URL=http://host:6333 to run against a live Qdrant)', () => {
    it('runs the shared contract', () => undefined);
  });
}

describe('QdrantVectorStore - unreachable server', () => {
  it('start - reports UnavailableError when nothing listens', async () => {
    const store = new QdrantVectorStore({ url: 'http://127.0.0.1:1', timeoutMs: 2000 });
    await expect(store.start()).rejects.toThrow(UnavailableError);
    await expect(new QdrantVectorStore({ url: 'http://127.0.0.1:1' }).count('x', undefined)).rejects.toThrow(/qdrant get collection failed/);
  });
});
