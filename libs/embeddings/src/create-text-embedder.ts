import { InvalidArgumentError } from '@x0/core';
import { HashedNgramEmbedder } from './hashed-ngram-embedder';
import { OpenAiCompatibleEmbedder } from './openai-compatible-embedder';
import type { TextEmbedder } from './text-embedder';

/** Which dense text embedder to use: an endpoint when `url` and `model` are set, else the local hashed one. */
export interface EmbedderConfig {
  url?: string;
  model?: string;
  apiKey?: string;
  /** Vector length: of the hashed embedder (default 256), or the expected length of the endpoint's vectors. */
  dim?: number;
}

/** Builds the configured embedder. */
export function createTextEmbedder(config: EmbedderConfig = {}): TextEmbedder {
  if (config.url) {
    if (!config.model) throw new InvalidArgumentError('EMBEDDINGS_MODEL', 'must be set when EMBEDDINGS_URL is');
    return new OpenAiCompatibleEmbedder({ url: config.url, model: config.model, apiKey: config.apiKey, dim: config.dim });
  }
  return new HashedNgramEmbedder({ dim: config.dim });
}

/** Reads `EMBEDDINGS_URL`, `EMBEDDINGS_MODEL`, `EMBEDDINGS_API_KEY`, `EMBEDDINGS_DIM`; names a bad variable. */
export function embedderConfigFromEnv(env: NodeJS.ProcessEnv = process.env): EmbedderConfig {
  const url = env.EMBEDDINGS_URL?.trim() || undefined;
  if (url && !/^https?:\/\/\S+$/.test(url)) throw new InvalidArgumentError('EMBEDDINGS_URL', `must be an http(s) URL, got '${url}'`);
  const dimText = env.EMBEDDINGS_DIM?.trim();
  const dim = dimText ? Number(dimText) : undefined;
  if (dim !== undefined && (!Number.isInteger(dim) || dim < 8)) throw new InvalidArgumentError('EMBEDDINGS_DIM', `must be an integer >= 8, got '${dimText}'`);
  return { url, model: env.EMBEDDINGS_MODEL?.trim() || undefined, apiKey: env.EMBEDDINGS_API_KEY?.trim() || undefined, dim };
}
