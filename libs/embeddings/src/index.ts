export type { TextEmbedder } from './text-embedder';
export { HashedNgramEmbedder, type HashedNgramOptions } from './hashed-ngram-embedder';
export { Bm25SparseEncoder, termId, type Bm25Options, type SparseEmbedding } from './bm25-encoder';
export { OpenAiCompatibleEmbedder, type OpenAiCompatibleOptions } from './openai-compatible-embedder';
export { chunkMarkdown, splitText, type ChunkOptions, type ChunkedDocument, type MarkdownChunk } from './markdown-chunker';
export { ANALYZER_VERSION, fnv1a, isStopWord, stem, terms, words } from './text-analysis';
export { createTextEmbedder, embedderConfigFromEnv, type EmbedderConfig } from './create-text-embedder';
