import fs from 'node:fs';
import path from 'node:path';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '@x0/core';
import { fuseRrf, DEFAULT_RRF_K } from '../fusion';
import type { CollectionConfig, CollectionInfo, Filter, HybridRequest, PointInput, PointSelector, ScoredPoint, SearchRequest, StoredPoint } from '../types';
import { checkCollectionConfig, checkCollectionName, checkFilter, checkHybrid, checkPointId, checkPoints, checkSearch, differentVectorsError, sameVectors } from '../validation';
import type { VectorStore } from '../vector-store';
import { encodeDelete, encodeUpsert, OP_DELETE, OP_UPSERT } from './codec';
import { CollectionState } from './collection-state';
import { CollectionStorage, type Durability, type RecoveryReport } from './collection-storage';
import { DEFAULT_HNSW, type HnswOptions } from './dense-index';
import { DataDirLock } from './data-dir-lock';

/** Options of the embedded store. */
export interface EmbeddedVectorStoreOptions {
  /** Directory holding `vector-store/` (created if missing). */
  dataDir: string;
  /** `fsync` (default): a write resolves once its log record is on disk. `none`: the OS flushes later. */
  durability?: Durability;
  /** HNSW tuning (defaults: M=16, efConstruction=64, efSearch=64, exact search below 2,000 points). */
  hnsw?: Partial<HnswOptions>;
  /** Compact once the log exceeds max(this, last snapshot size); default 64 MiB. */
  compactMinBytes?: number;
  /**
   * Longest slice of background index building before yielding the event loop (ms, default 2):
   * a search or request arriving while graphs catch up waits at most about this long.
   */
  indexSliceMs?: number;
  /** Called with recovery findings worth a log line (a torn log tail was dropped). */
  onWarning?: (message: string, details: Record<string, unknown>) => void;
}

interface OpenCollection {
  name: string;
  state: CollectionState;
  storage: CollectionStorage;
}

/**
 * In-process `VectorStore` persisted under `<dataDir>/vector-store/<collection>/`: an append-only
 * log with CRC-32 per record, compacted into atomic snapshots; HNSW graphs (usearch) built
 * in the background and rebuilt after a restart; exact search below a size threshold and for
 * points not yet in a graph. One process per data directory (a LOCK file holds the pid).
 * Payloads are copied on the way in and handed out deep-frozen (read-only, never copied).
 */
export class EmbeddedVectorStore implements VectorStore {
  readonly kind = 'embedded' as const;
  private readonly root: string;
  private readonly hnsw: HnswOptions;
  private readonly collections = new Map<string, OpenCollection>();
  private readonly lock: DataDirLock;
  private started: Promise<void> | undefined;
  private stopped: Promise<void> | undefined;
  private indexTimer: NodeJS.Immediate | undefined;
  private indexWaiters: Array<() => void> = [];
  /** What each collection's load found, by name (for logs and tests). */
  readonly recovery = new Map<string, RecoveryReport>();

  constructor(private readonly options: EmbeddedVectorStoreOptions) {
    if (!options?.dataDir) throw new InvalidArgumentError('dataDir', 'must be a directory path');
    this.root = path.join(options.dataDir, 'vector-store');
    this.hnsw = { ...DEFAULT_HNSW, ...options.hnsw };
    this.lock = new DataDirLock(this.root);
  }

  /** Loads every collection (snapshot + log replay); graphs are rebuilt in the background. Safe to call twice. */
  start(): Promise<void> {
    this.started ??= Promise.resolve().then(() => this.load());
    return this.started;
  }

  private load(): void {
    fs.mkdirSync(this.root, { recursive: true });
    this.lock.acquire();
    for (const entry of fs.readdirSync(this.root, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const dir = path.join(this.root, entry.name);
      if (entry.name.startsWith('.trash-')) {
        fs.rmSync(dir, { recursive: true, force: true });
        continue;
      }
      const found = CollectionStorage.readConfig(dir);
      if (!found) {
        fs.rmSync(dir, { recursive: true, force: true }); // creation never completed
        continue;
      }
      const state = new CollectionState(found.config, this.hnsw);
      const storage = new CollectionStorage(dir, this.options.durability ?? 'fsync');
      const report = storage.load((r) => {
        if (r.op === OP_UPSERT) state.upsert(r.points);
        else if (r.op === OP_DELETE) state.delete(r.ids);
      });
      this.recovery.set(found.name, report);
      if (report.discardedBytes > 0) {
        this.options.onWarning?.('vector store log had a torn or corrupt tail; it was dropped', { collection: found.name, ...report });
      }
      this.collections.set(found.name, { name: found.name, state, storage });
    }
    this.scheduleIndexing();
  }

  /** Stops background indexing and closes the logs. Safe to call twice. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      await this.started?.catch(() => undefined);
      if (this.indexTimer) clearImmediate(this.indexTimer);
      this.indexTimer = undefined;
      for (const c of this.collections.values()) c.storage.close();
      this.collections.clear();
      this.lock.release();
      for (const w of this.indexWaiters.splice(0)) w();
    })();
    return this.stopped;
  }

  private checkStarted(): void {
    if (!this.started || this.stopped) throw new FailedPreconditionError('vector store is not started');
  }

  private open(name: string): OpenCollection {
    this.checkStarted();
    checkCollectionName(name);
    const c = this.collections.get(name);
    if (!c) throw new NotFoundError('collection', name);
    return c;
  }

  async createCollection(name: string, config: CollectionConfig): Promise<void> {
    this.checkStarted();
    await this.started;
    checkCollectionName(name);
    checkCollectionConfig(config);
    const existing = this.collections.get(name);
    if (existing) {
      if (!sameVectors(existing.state.config, config)) {
        throw differentVectorsError(name, existing.state.config, config);
      }
      const have = existing.state.config.payloadIndexes ?? {};
      const added = Object.fromEntries(Object.entries(config.payloadIndexes ?? {}).filter(([f]) => !have[f]));
      if (Object.keys(added).length > 0) {
        const next = { ...existing.state.config, payloadIndexes: { ...have, ...added } };
        CollectionStorage.writeConfig(existing.storage.dir, name, next);
        existing.state.config = next;
        existing.state.addPayloadIndexes(added);
      }
      return;
    }
    const dir = path.join(this.root, name);
    fs.rmSync(dir, { recursive: true, force: true });
    const stored = structuredClone(config);
    CollectionStorage.create(dir, name, stored);
    const storage = new CollectionStorage(dir, this.options.durability ?? 'fsync');
    storage.load(() => undefined);
    this.collections.set(name, { name, state: new CollectionState(stored, this.hnsw), storage });
  }

  async deleteCollection(name: string): Promise<boolean> {
    this.checkStarted();
    checkCollectionName(name);
    const c = this.collections.get(name);
    if (!c) return false;
    c.storage.close();
    this.collections.delete(name);
    // Renaming is atomic: after a crash the directory is either live or trash to sweep.
    const trash = path.join(this.root, `.trash-${name}-${process.pid}-${Date.now()}`);
    fs.renameSync(c.storage.dir, trash);
    fs.rmSync(trash, { recursive: true, force: true });
    return true;
  }

  async listCollections(): Promise<string[]> {
    this.checkStarted();
    return [...this.collections.keys()].sort();
  }

  async getCollection(name: string): Promise<CollectionInfo> {
    const c = this.open(name);
    return { name, config: structuredClone(c.state.config), pointsCount: c.state.count };
  }

  async upsert(collection: string, points: readonly PointInput[]): Promise<void> {
    const c = this.open(collection);
    const checked = checkPoints(points, c.state.config);
    if (checked.length === 0) return;
    c.storage.append(encodeUpsert(checked));
    c.state.upsert(checked);
    this.afterWrite(c);
  }

  async delete(collection: string, selector: PointSelector): Promise<number> {
    const c = this.open(collection);
    let ids: string[];
    if (selector && 'ids' in selector && Array.isArray(selector.ids)) {
      ids = selector.ids.map((id, i) => checkPointId(id, `selector.ids[${i}]`));
    } else if (selector && 'filter' in selector) {
      ids = c.state.matchingIds(checkFilter(selector.filter, 'selector.filter'));
    } else {
      throw new InvalidArgumentError('selector', 'must be { ids } or { filter }');
    }
    const existing = c.state.retrieve(ids, false).map((p) => p.id);
    if (existing.length === 0) return 0;
    c.storage.append(encodeDelete(existing));
    const n = c.state.delete(existing);
    this.afterWrite(c);
    return n;
  }

  async retrieve(collection: string, ids: readonly string[], options: { withVectors?: boolean } = {}): Promise<StoredPoint[]> {
    const c = this.open(collection);
    if (!Array.isArray(ids)) throw new InvalidArgumentError('ids', 'must be an array');
    ids.forEach((id, i) => checkPointId(id, `ids[${i}]`));
    return c.state.retrieve(ids, options.withVectors ?? false);
  }

  async count(collection: string, filter?: Filter): Promise<number> {
    const c = this.open(collection);
    if (filter === undefined) return c.state.count;
    return c.state.matchingIds(checkFilter(filter)).length;
  }

  async search(collection: string, request: SearchRequest): Promise<ScoredPoint[]> {
    const c = this.open(collection);
    const q = checkSearch(request, c.state.config);
    return c.state.search(q, request.limit, request);
  }

  async hybridSearch(collection: string, request: HybridRequest): Promise<ScoredPoint[]> {
    const c = this.open(collection);
    const queries = checkHybrid(request, c.state.config);
    const lists = queries.map((q) => c.state.search(q, q.limit, { filter: request.filter, withPayload: request.withPayload }));
    return fuseRrf(lists, request.limit, request.rrfK ?? DEFAULT_RRF_K);
  }

  /** Resolves when every graph has caught up with the points written so far (benchmarks, tests). */
  whenIndexed(): Promise<void> {
    if (![...this.collections.values()].some((c) => c.state.needsIndexing)) return Promise.resolve();
    this.scheduleIndexing();
    return new Promise((resolve) => this.indexWaiters.push(resolve));
  }

  /** Compacts one collection now: snapshot of all points, fresh log. */
  async compact(collection: string): Promise<void> {
    const c = this.open(collection);
    c.storage.compact(c.state.points(), { collection: c.name });
  }

  /** Rough bytes in typed arrays and native graphs of a collection (payloads, ids and JS objects excluded). */
  approximateVectorBytes(collection: string): number {
    return this.open(collection).state.approximateVectorBytes;
  }

  private afterWrite(c: OpenCollection): void {
    const threshold = Math.max(this.options.compactMinBytes ?? 64 * 1024 * 1024, c.storage.lastSnapshotBytes);
    if (c.storage.logBytes > threshold) c.storage.compact(c.state.points(), { collection: c.name });
    this.scheduleIndexing();
  }

  private scheduleIndexing(): void {
    if (this.indexTimer || this.stopped) return;
    this.indexTimer = setImmediate(() => this.indexTick());
  }

  private indexTick(): void {
    this.indexTimer = undefined;
    const deadline = performance.now() + (this.options.indexSliceMs ?? 2);
    let more = false;
    for (const c of this.collections.values()) {
      if (performance.now() >= deadline) {
        more = more || c.state.needsIndexing;
        continue;
      }
      more = c.state.indexStep(deadline) || more;
    }
    if (more) this.scheduleIndexing();
    else for (const w of this.indexWaiters.splice(0)) w();
  }
}
