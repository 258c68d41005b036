import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedVectorStore } from './embedded-vector-store';
import { describeVectorStoreContract } from '../testing';

describeVectorStoreContract('EmbeddedVectorStore', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'x0-vs-contract-'));
  const store = new EmbeddedVectorStore({ dataDir: dir });
  await store.start();
  return {
    store,
    cleanup: async () => {
      await store.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});
