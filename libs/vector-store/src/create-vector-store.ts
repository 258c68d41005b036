import path from 'node:path';
import { InvalidArgumentError } from '@x0/core';
import { EmbeddedVectorStore, type EmbeddedVectorStoreOptions } from './embedded/embedded-vector-store';
import { QdrantVectorStore } from './qdrant/qdrant-vector-store';
import type { VectorStore } from './vector-store';

/** What `createVectorStore` needs: a Qdrant URL selects Qdrant, otherwise the embedded store under `dataDir`. */
export interface VectorStoreConfig extends Omit<EmbeddedVectorStoreOptions, 'dataDir'> {
  qdrantUrl?: string;
  qdrantApiKey?: string;
  /** Request timeout for Qdrant in ms. */
  qdrantTimeoutMs?: number;
  dataDir: string;
}

/** Builds the store the config asks for (not started: call `start()`). */
export function createVectorStore(config: VectorStoreConfig): VectorStore {
  if (config.qdrantUrl) return new QdrantVectorStore({ url: config.qdrantUrl, apiKey: config.qdrantApiKey, timeoutMs: config.qdrantTimeoutMs });
  const { qdrantUrl: _u, qdrantApiKey: _k, qdrantTimeoutMs: _t, ...embedded } = config;
  return new EmbeddedVectorStore(embedded);
}

/**
 * Reads the store config from the environment: `QDRANT_URL`, `QDRANT_API_KEY`, `X0_DATA_DIR`
 * (default `./data`), `X0_VECTOR_DURABILITY` (`fsync` | `none`). Throws `InvalidArgumentError`
 * naming the variable on a bad value.
 */
export function vectorStoreConfigFromEnv(env: NodeJS.ProcessEnv = process.env): VectorStoreConfig {
  const url = env.QDRANT_URL?.trim() || undefined;
  if (url && !/^https?:\/\/[^\s/]+/.test(url)) throw new InvalidArgumentError('QDRANT_URL', `must be an http(s) URL, got '${url}'`);
  const durability = env.X0_VECTOR_DURABILITY?.trim() || 'fsync';
  if (durability !== 'fsync' && durability !== 'none') throw new InvalidArgumentError('X0_VECTOR_DURABILITY', `must be 'fsync' or 'none', got '${durability}'`);
  return {
    qdrantUrl: url,
    qdrantApiKey: env.QDRANT_API_KEY?.trim() || undefined,
    dataDir: path.resolve(env.X0_DATA_DIR?.trim() || 'data'),
    durability,
  };
}
