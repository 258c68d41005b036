import type { QdrantClient } from '@qdrant/js-client-rest' with { 'resolution-mode': 'import' };
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '@x0/core';
import { DEFAULT_RRF_K } from '../fusion';
import type { CollectionConfig, CollectionInfo, Filter, HybridRequest, Payload, PointInput, PointSelector, ScoredPoint, SearchRequest, StoredPoint } from '../types';
import { checkCollectionConfig, checkCollectionName, checkFilter, checkHybrid, checkPointId, checkPoints, checkSearch, differentVectorsError, sameVectors } from '../validation';
import type { VectorStore } from '../vector-store';
import { fromQdrantConfig, ID_KEY, mapQdrantError, pointUuid, statusOf, toQdrantDistance, toQdrantFieldSchema, toQdrantFilter, toQdrantVector } from './qdrant-mapping';

// The package is ESM-typed but ships a CommonJS build (its `require` export), which this CommonJS workspace loads.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const qdrantClientModule: { QdrantClient: typeof QdrantClient } = require('@qdrant/js-client-rest');

/** Options of the Qdrant adapter. */
export interface QdrantVectorStoreOptions {
  /** Qdrant REST URL, e.g. `http://qdrant:6333`. */
  url: string;
  apiKey?: string;
  /** Per-request timeout in ms (default 10,000). */
  timeoutMs?: number;
  /** Points per upsert request (default 256). */
  batchSize?: number;
}

/**
 * `VectorStore` on a Qdrant server through `@qdrant/js-client-rest`: named dense vectors,
 * sparse vectors (with the `idf` modifier when asked), payload indexes, hybrid search through
 * the Query API (prefetches fused with RRF). String ids are stored as UUIDs derived from them,
 * the original id in the payload key `_x0_id`. Writes wait for Qdrant to apply them (`wait: true`).
 */
export class QdrantVectorStore implements VectorStore {
  readonly kind = 'qdrant' as const;
  private readonly client: QdrantClient;
  private readonly configs = new Map<string, CollectionConfig>();
  private started: Promise<void> | undefined;
  private stopped: Promise<void> | undefined;

  constructor(private readonly options: QdrantVectorStoreOptions) {
    if (!options?.url) throw new InvalidArgumentError('url', 'must be the Qdrant URL');
    if (!/^https?:\/\/[^\s/]+/.test(options.url)) throw new InvalidArgumentError('url', `'${options.url}' is not an http(s) URL`);
    // Without a port in the URL the client uses Qdrant's 6333.
    this.client = new qdrantClientModule.QdrantClient({
      url: options.url,
      apiKey: options.apiKey,
      timeout: options.timeoutMs ?? 10_000,
      checkCompatibility: false,
    });
  }

  /** Checks that Qdrant answers; throws `UnavailableError` otherwise. Safe to call twice. */
  start(): Promise<void> {
    this.started ??= this.call(undefined, 'list collections', () => this.client.getCollections()).then(() => undefined);
    return this.started;
  }

  /** Nothing to release (HTTP keep-alive sockets close on their own). Safe to call twice. */
  stop(): Promise<void> {
    this.stopped ??= Promise.resolve();
    return this.stopped;
  }

  private async call<T>(collection: string | undefined, action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof InvalidArgumentError || err instanceof NotFoundError || err instanceof FailedPreconditionError) throw err;
      throw mapQdrantError(err, collection, action);
    }
  }

  private async fetchConfig(name: string): Promise<CollectionConfig> {
    const info = await this.call(name, 'get collection', () => this.client.getCollection(name));
    const config = fromQdrantConfig(name, info.config.params, (info.payload_schema ?? {}) as Record<string, { data_type?: string }>);
    this.configs.set(name, config);
    return config;
  }

  private async config(name: string): Promise<CollectionConfig> {
    checkCollectionName(name);
    return this.configs.get(name) ?? this.fetchConfig(name);
  }

  async createCollection(name: string, config: CollectionConfig): Promise<void> {
    checkCollectionName(name);
    checkCollectionConfig(config);
    const { exists } = await this.call(name, 'check collection', () => this.client.collectionExists(name));
    if (!exists) {
      try {
        await this.client.createCollection(name, {
          vectors: Object.fromEntries(Object.entries(config.vectors).map(([k, v]) => [k, { size: v.size, distance: toQdrantDistance(v.distance) }])),
          sparse_vectors: Object.fromEntries(Object.entries(config.sparseVectors ?? {}).map(([k, v]) => [k, { modifier: v.modifier ?? 'none' }])),
        });
      } catch (err) {
        // Another replica may have created it in between: that is fine if the layout matches (checked below).
        if (statusOf(err) !== 409) throw mapQdrantError(err, name, 'create collection');
      }
    }
    const current = await this.fetchConfig(name);
    if (!sameVectors(current, config)) throw differentVectorsError(name, current, config);
    const indexes: Record<string, 'keyword' | 'integer' | 'float' | 'bool'> = { [ID_KEY]: 'keyword', ...config.payloadIndexes };
    for (const [field, type] of Object.entries(indexes)) {
      if (current.payloadIndexes?.[field]) continue;
      await this.call(name, 'create payload index', () => this.client.createPayloadIndex(name, { field_name: field, field_schema: toQdrantFieldSchema(type), wait: true }));
    }
    await this.fetchConfig(name);
  }

  async deleteCollection(name: string): Promise<boolean> {
    checkCollectionName(name);
    this.configs.delete(name);
    const { exists } = await this.call(name, 'check collection', () => this.client.collectionExists(name));
    if (!exists) return false;
    await this.call(name, 'delete collection', () => this.client.deleteCollection(name));
    return true;
  }

  async listCollections(): Promise<string[]> {
    const res = await this.call(undefined, 'list collections', () => this.client.getCollections());
    return res.collections.map((c) => c.name).sort();
  }

  async getCollection(name: string): Promise<CollectionInfo> {
    const config = await this.fetchConfig(name);
    const count = await this.count(name);
    const { payloadIndexes, ...rest } = config;
    const visible = Object.fromEntries(Object.entries(payloadIndexes ?? {}).filter(([k]) => k !== ID_KEY));
    return { name, config: { ...rest, payloadIndexes: visible }, pointsCount: count };
  }

  async upsert(collection: string, points: readonly PointInput[]): Promise<void> {
    const checked = checkPoints(points, await this.config(collection));
    // Later duplicates win, as in the embedded store (Qdrant would keep an arbitrary one within a batch).
    const byId = new Map(checked.map((p) => [p.id, p]));
    const batch = this.options.batchSize ?? 256;
    const all = [...byId.values()];
    for (let i = 0; i < all.length; i += batch) {
      const slice = all.slice(i, i + batch).map((p) => ({
        id: pointUuid(p.id),
        vector: Object.fromEntries([...p.dense, ...p.sparse].map(([k, v]) => [k, toQdrantVector(v)])),
        payload: { ...p.payload, [ID_KEY]: p.id },
      }));
      await this.call(collection, 'upsert', () => this.client.upsert(collection, { wait: true, points: slice }));
    }
  }

  async delete(collection: string, selector: PointSelector): Promise<number> {
    await this.config(collection);
    if (selector && 'ids' in selector && Array.isArray(selector.ids)) {
      const ids = selector.ids.map((id, i) => checkPointId(id, `selector.ids[${i}]`));
      const existing = await this.retrieve(collection, ids);
      if (existing.length === 0) return 0;
      await this.call(collection, 'delete', () => this.client.delete(collection, { wait: true, points: existing.map((p) => pointUuid(p.id)) }));
      return existing.length;
    }
    if (selector && 'filter' in selector) {
      const filter = toQdrantFilter(checkFilter(selector.filter, 'selector.filter')) ?? {};
      const n = await this.count(collection, selector.filter);
      await this.call(collection, 'delete', () => this.client.delete(collection, { wait: true, filter }));
      return n;
    }
    throw new InvalidArgumentError('selector', 'must be { ids } or { filter }');
  }

  async retrieve(collection: string, ids: readonly string[], options: { withVectors?: boolean } = {}): Promise<StoredPoint[]> {
    const config = await this.config(collection);
    if (!Array.isArray(ids)) throw new InvalidArgumentError('ids', 'must be an array');
    ids.forEach((id, i) => checkPointId(id, `ids[${i}]`));
    if (ids.length === 0) return [];
    const res = await this.call(collection, 'retrieve', () =>
      this.client.retrieve(collection, { ids: ids.map(pointUuid), with_payload: true, with_vector: options.withVectors ?? false }),
    );
    const byId = new Map<string, StoredPoint>();
    for (const r of res) {
      const { [ID_KEY]: id, ...payload } = (r.payload ?? {}) as Payload;
      const point: StoredPoint = { id: String(id), payload };
      if (options.withVectors && r.vector && typeof r.vector === 'object' && !Array.isArray(r.vector)) {
        const vectors: NonNullable<StoredPoint['vectors']> = {};
        for (const [name, v] of Object.entries(r.vector as Record<string, unknown>)) {
          if (config.vectors[name] && Array.isArray(v)) vectors[name] = Float32Array.from(v as number[]);
          else if (v && typeof v === 'object' && 'indices' in v) {
            const s = v as { indices: number[]; values: number[] };
            vectors[name] = { indices: Uint32Array.from(s.indices), values: Float32Array.from(s.values) };
          }
        }
        point.vectors = vectors;
      }
      byId.set(point.id, point);
    }
    return ids.filter((id, i) => byId.has(id) && ids.indexOf(id) === i).map((id) => byId.get(id)!);
  }

  async count(collection: string, filter?: Filter): Promise<number> {
    await this.config(collection);
    const f = filter === undefined ? undefined : toQdrantFilter(checkFilter(filter));
    const res = await this.call(collection, 'count', () => this.client.count(collection, { exact: true, ...(f ? { filter: f } : {}) }));
    return res.count;
  }

  async search(collection: string, request: SearchRequest): Promise<ScoredPoint[]> {
    const q = checkSearch(request, await this.config(collection));
    const filter = toQdrantFilter(request.filter);
    const res = await this.call(collection, 'search', () =>
      this.client.query(collection, {
        query: toQdrantVector(q.vector),
        using: q.using,
        limit: request.limit,
        with_payload: request.withPayload !== false ? true : { include: [ID_KEY] },
        ...(filter ? { filter } : {}),
        ...(request.exact ? { params: { exact: true } } : {}),
      }),
    );
    return res.points.map((p) => toScored(p, request.withPayload !== false));
  }

  async hybridSearch(collection: string, request: HybridRequest): Promise<ScoredPoint[]> {
    const queries = checkHybrid(request, await this.config(collection));
    const filter = toQdrantFilter(request.filter);
    const k = request.rrfK ?? DEFAULT_RRF_K;
    const res = await this.call(collection, 'hybrid search', () =>
      this.client.query(collection, {
        prefetch: queries.map((q) => ({ query: toQdrantVector(q.vector), using: q.using, limit: q.limit, ...(filter ? { filter } : {}) })),
        query: k === DEFAULT_RRF_K ? { fusion: 'rrf' } : { rrf: { k } },
        limit: request.limit,
        with_payload: request.withPayload !== false ? true : { include: [ID_KEY] },
        ...(filter ? { filter } : {}),
      }),
    );
    return res.points.map((p) => toScored(p, request.withPayload !== false));
  }
}

function toScored(p: { score: number; payload?: Record<string, unknown> | null }, withPayload: boolean): ScoredPoint {
  const { [ID_KEY]: id, ...payload } = (p.payload ?? {}) as Payload;
  return withPayload ? { id: String(id), score: p.score, payload } : { id: String(id), score: p.score };
}
