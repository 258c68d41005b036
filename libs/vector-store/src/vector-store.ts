import type {
  CollectionConfig,
  CollectionInfo,
  Filter,
  HybridRequest,
  PointInput,
  PointSelector,
  ScoredPoint,
  SearchRequest,
  StoredPoint,
} from './types';

/**
 * A store of points (named dense/sparse vectors + JSON payload) grouped in collections.
 * Implemented in-process by `EmbeddedVectorStore` and remotely by `QdrantVectorStore`; both
 * pass the same contract suite (`@x0/vector-store/testing`).
 *
 * Errors: `InvalidArgumentError` for malformed input (the field is named: `points[2].vectors.dense`
 * must have 64 elements), `NotFoundError` for an unknown collection, `FailedPreconditionError`
 * when a collection exists with a different vector layout, `UnavailableError` when the backend
 * cannot be reached.
 */
export interface VectorStore {
  /** Which implementation this is (`embedded` or `qdrant`), for logs and health. */
  readonly kind: 'embedded' | 'qdrant';
  /** Opens the store (loads data, checks the connection). Safe to call twice. */
  start(): Promise<void>;
  /** Flushes and closes. Safe to call twice; the second call returns the first promise. */
  stop(): Promise<void>;

  /**
   * Creates the collection if missing and any missing payload indexes (idempotent). Throws
   * `FailedPreconditionError` if it exists with different vectors.
   */
  createCollection(name: string, config: CollectionConfig): Promise<void>;
  /** Deletes a collection and its data; false if it did not exist. */
  deleteCollection(name: string): Promise<boolean>;
  /** Names of all collections. */
  listCollections(): Promise<string[]>;
  /** Config and point count; `NotFoundError` if missing. */
  getCollection(name: string): Promise<CollectionInfo>;

  /** Inserts or replaces points (whole points: vectors and payload). Durable when it resolves. */
  upsert(collection: string, points: readonly PointInput[]): Promise<void>;
  /** Deletes points by id or by filter; resolves with how many existed before (embedded) or -1 when unknown (qdrant). */
  delete(collection: string, selector: PointSelector): Promise<number>;
  /** Reads points by id (missing ids are skipped), optionally with vectors. */
  retrieve(collection: string, ids: readonly string[], options?: { withVectors?: boolean }): Promise<StoredPoint[]>;
  /** Exact number of points, optionally matching a filter. */
  count(collection: string, filter?: Filter): Promise<number>;

  /** Top-`limit` nearest points on one named vector, best first, optionally filtered. */
  search(collection: string, request: SearchRequest): Promise<ScoredPoint[]>;
  /** Dense + sparse (or any) prefetches fused with RRF, best first, optionally filtered. */
  hybridSearch(collection: string, request: HybridRequest): Promise<ScoredPoint[]>;
}
