export * from './types';
export type { VectorStore } from './vector-store';
export { EmbeddedVectorStore, type EmbeddedVectorStoreOptions } from './embedded/embedded-vector-store';
export type { RecoveryReport, Durability } from './embedded/collection-storage';
export { DEFAULT_HNSW, type HnswOptions } from './embedded/dense-index';
export { QdrantVectorStore, type QdrantVectorStoreOptions } from './qdrant/qdrant-vector-store';
export { createVectorStore, vectorStoreConfigFromEnv, type VectorStoreConfig } from './create-vector-store';
export { fuseRrf, DEFAULT_RRF_K } from './fusion';
export { matchesFilter } from './filter';
