/** How two dense vectors are compared. `cosine` and `dot` score higher = closer; `euclid` scores by distance, lower = closer. */
export type Distance = 'cosine' | 'dot' | 'euclid';

/** A named dense vector of a collection: fixed length and a distance. */
export interface DenseVectorConfig {
  size: number;
  distance: Distance;
}

/**
 * A named sparse vector of a collection. With `modifier: 'idf'` the store weights each query
 * term by its inverse document frequency in the collection (BM25 IDF), as Qdrant does.
 */
export interface SparseVectorConfig {
  modifier?: 'none' | 'idf';
}

/** Type of an indexed payload field (filters work on any field; indexes make them fast). */
export type PayloadFieldType = 'keyword' | 'integer' | 'float' | 'bool';

/** Shape of a collection: its named dense and sparse vectors and its payload indexes. */
export interface CollectionConfig {
  vectors: Record<string, DenseVectorConfig>;
  sparseVectors?: Record<string, SparseVectorConfig>;
  payloadIndexes?: Record<string, PayloadFieldType>;
}

/** A dense vector: a `Float32Array` or a plain array of finite numbers. */
export type DenseVector = Float32Array | readonly number[];

/** A sparse vector: parallel arrays of unique non-negative integer term ids and finite weights. */
export interface SparseVector {
  indices: Uint32Array | readonly number[];
  values: Float32Array | readonly number[];
}

/** JSON payload stored with a point. */
export type Payload = Record<string, unknown>;

/** A point to store: string id, vectors by name, optional JSON payload. Upsert replaces a point whole. */
export interface PointInput {
  id: string;
  vectors: Record<string, DenseVector | SparseVector>;
  payload?: Payload;
}

/** A stored point as read back. Vectors are present only when asked for. */
export interface StoredPoint {
  id: string;
  payload: Payload;
  vectors?: Record<string, Float32Array | { indices: Uint32Array; values: Float32Array }>;
}

/** A value a keyword, integer or bool field can be matched against. */
export type MatchValue = string | number | boolean;

/**
 * One filter condition on a payload field (dot paths reach nested objects). When the field
 * holds an array, the condition holds if any element satisfies it (Qdrant semantics).
 */
export type Condition =
  | { key: string; match: { value: MatchValue } }
  | { key: string; match: { any: readonly (string | number)[] } }
  | { key: string; range: { gt?: number; gte?: number; lt?: number; lte?: number } };

/** Boolean combination of conditions: all of `must`, at least one of `should` (if given), none of `mustNot`. */
export interface Filter {
  must?: readonly Condition[];
  should?: readonly Condition[];
  mustNot?: readonly Condition[];
}

/** A nearest-neighbour search on one named vector. */
export interface SearchRequest {
  using: string;
  vector: DenseVector | SparseVector;
  limit: number;
  filter?: Filter;
  /** Include payloads in the hits (default true). */
  withPayload?: boolean;
  /** Scan every point instead of using the approximate index (for recall measurement). */
  exact?: boolean;
}

/** One sub-query of a hybrid query. */
export interface Prefetch {
  using: string;
  vector: DenseVector | SparseVector;
  /** Candidates taken from this sub-query before fusion (default: 4 × the final limit, at least 20). */
  limit?: number;
}

/**
 * Hybrid query: run every prefetch (dense and/or sparse), then fuse their rankings with
 * Reciprocal Rank Fusion: score = Σ 1 / (rrfK + rank), rank counted from 0 (Qdrant's formula).
 */
export interface HybridRequest {
  prefetch: readonly Prefetch[];
  limit: number;
  filter?: Filter;
  withPayload?: boolean;
  /** RRF constant (default 2, Qdrant's default). */
  rrfK?: number;
}

/** A search hit. `score` is a similarity (cosine, dot, sparse, RRF) or a distance (euclid). */
export interface ScoredPoint {
  id: string;
  score: number;
  payload?: Payload;
}

/** What to delete: listed ids, or every point matching a filter. */
export type PointSelector = { ids: readonly string[] } | { filter: Filter };

/** Summary of a collection. */
export interface CollectionInfo {
  name: string;
  config: CollectionConfig;
  pointsCount: number;
}
