import { matchesFilter } from '../filter';
import type { CollectionConfig, Filter, Payload, ScoredPoint, StoredPoint } from '../types';
import type { CheckedPoint, CheckedQuery } from '../validation';
import { DenseIndex, type HnswOptions } from './dense-index';
import { PayloadIndex, type CandidateSlots } from './payload-index';
import { SparseIndex } from './sparse-index';

/**
 * The in-memory state of one embedded collection: points by slot (id, payload), one
 * DenseIndex per dense vector, one SparseIndex per sparse vector, payload indexes. It knows
 * nothing about files; the store logs every change before applying it here.
 */
export class CollectionState {
  private readonly ids: (string | undefined)[] = [];
  private readonly slotOf = new Map<string, number>();
  private readonly free: number[] = [];
  private readonly payloads: (Payload | undefined)[] = [];
  private readonly dense = new Map<string, DenseIndex>();
  private readonly sparse = new Map<string, SparseIndex>();
  private readonly payloadIndex = new PayloadIndex();

  constructor(
    public config: CollectionConfig,
    hnsw: HnswOptions,
  ) {
    for (const [name, v] of Object.entries(config.vectors)) this.dense.set(name, new DenseIndex(v.size, v.distance, hnsw));
    for (const [name, v] of Object.entries(config.sparseVectors ?? {})) this.sparse.set(name, new SparseIndex(v.modifier === 'idf'));
    this.addPayloadIndexes(config.payloadIndexes ?? {});
  }

  /** Number of points. */
  get count(): number {
    return this.slotOf.size;
  }

  /** Bytes held in typed arrays by the vector indexes (payloads and ids not included). */
  get approximateVectorBytes(): number {
    let b = 0;
    for (const d of this.dense.values()) b += d.approximateBytes;
    for (const s of this.sparse.values()) b += s.approximateBytes;
    return b;
  }

  /** Indexes more payload fields (existing points included). */
  addPayloadIndexes(indexes: NonNullable<CollectionConfig['payloadIndexes']>): void {
    for (const [field, type] of Object.entries(indexes)) this.payloadIndex.addField(field, type, this.payloads);
  }

  /** Inserts or replaces points. */
  upsert(points: readonly CheckedPoint[]): void {
    for (const p of points) {
      let slot = this.slotOf.get(p.id);
      if (slot === undefined) {
        slot = this.free.length > 0 ? this.free.pop()! : this.ids.length;
        this.ids[slot] = p.id;
        this.slotOf.set(p.id, slot);
      } else {
        this.payloadIndex.remove(slot, this.payloads[slot]!);
      }
      for (const [name, index] of this.dense) {
        const v = p.dense.get(name);
        if (v) index.set(slot, v);
        else index.remove(slot);
      }
      for (const [name, index] of this.sparse) {
        const v = p.sparse.get(name);
        if (v) index.set(slot, v);
        else index.remove(slot);
      }
      this.payloads[slot] = p.payload;
      this.payloadIndex.add(slot, p.payload);
    }
  }

  /** Deletes points by id; returns how many existed. */
  delete(ids: readonly string[]): number {
    let n = 0;
    for (const id of ids) {
      const slot = this.slotOf.get(id);
      if (slot === undefined) continue;
      n++;
      this.slotOf.delete(id);
      for (const d of this.dense.values()) d.remove(slot);
      for (const s of this.sparse.values()) s.remove(slot);
      this.payloadIndex.remove(slot, this.payloads[slot]!);
      this.payloads[slot] = undefined;
      this.ids[slot] = undefined;
      this.free.push(slot);
    }
    return n;
  }

  /**
   * How to apply a filter: the candidate slots the payload indexes give (if any) and a predicate
   * on slots. When the indexes answer the filter exactly, the predicate is a set lookup instead
   * of evaluating the filter on each payload; when that set holds every point, there is nothing
   * to filter at all.
   */
  private plan(filter: Filter | undefined): { predicate?: (slot: number) => boolean; candidates?: CandidateSlots['slots']; candidatesExact?: boolean } {
    if (!filter) return {};
    const c = this.payloadIndex.plan(filter);
    if (c?.exact) {
      if (c.slots.size === this.count) return {};
      const slots = c.slots;
      return { predicate: (slot) => slots.has(slot), candidates: slots, candidatesExact: true };
    }
    const payloads = this.payloads;
    return {
      predicate: (slot) => {
        const p = payloads[slot];
        return p !== undefined && matchesFilter(p, filter);
      },
      candidates: c?.slots,
    };
  }

  /** Ids of the points matching a filter (all points without one), in slot order. */
  matchingIds(filter: Filter | undefined): string[] {
    const { predicate, candidates } = this.plan(filter);
    const slots = candidates ? [...candidates].sort((a, b) => a - b) : [...this.slotOf.values()];
    const out: string[] = [];
    for (const slot of slots) if (this.ids[slot] !== undefined && (!predicate || predicate(slot))) out.push(this.ids[slot]!);
    return out;
  }

  /** Reads points by id, skipping unknown ones and repeats. */
  retrieve(ids: readonly string[], withVectors: boolean): StoredPoint[] {
    const out: StoredPoint[] = [];
    for (const id of new Set(ids)) {
      const slot = this.slotOf.get(id);
      if (slot === undefined) continue;
      const point: StoredPoint = { id, payload: this.payloads[slot]! };
      if (withVectors) {
        const vectors: NonNullable<StoredPoint['vectors']> = {};
        for (const [name, d] of this.dense) {
          const v = d.get(slot);
          if (v) vectors[name] = v;
        }
        for (const [name, s] of this.sparse) {
          const v = s.get(slot);
          if (v) vectors[name] = { indices: v.indices.slice(), values: v.values.slice() };
        }
        point.vectors = vectors;
      }
      out.push(point);
    }
    return out;
  }

  /** Nearest points for one checked query, best first. */
  search(q: CheckedQuery, limit: number, options: { filter?: Filter; exact?: boolean; withPayload?: boolean }): ScoredPoint[] {
    const { predicate, candidates, candidatesExact } = this.plan(options.filter);
    const hits =
      q.kind === 'dense'
        ? this.dense.get(q.using)!.search(q.vector, limit, { predicate, candidates, candidatesExact, exact: options.exact })
        : this.sparse.get(q.using)!.search(q.vector, limit, predicate);
    return hits.map(({ slot, score }) => {
      const hit: ScoredPoint = { id: this.ids[slot]!, score };
      if (options.withPayload !== false) hit.payload = this.payloads[slot];
      return hit;
    });
  }

  /** Every point, as stored, for snapshots. */
  *points(): Generator<CheckedPoint> {
    for (const [id, slot] of this.slotOf) {
      const dense = new Map<string, Float32Array>();
      for (const [name, d] of this.dense) {
        const v = d.get(slot);
        if (v) dense.set(name, v);
      }
      const sparse = new Map<string, { indices: Uint32Array; values: Float32Array }>();
      for (const [name, s] of this.sparse) {
        const v = s.get(slot);
        if (v) sparse.set(name, v);
      }
      yield { id, dense, sparse, payload: this.payloads[slot]! };
    }
  }

  /** Builds graph entries until the deadline; true while work remains. */
  indexStep(deadline: number): boolean {
    for (const d of this.dense.values()) {
      if (performance.now() >= deadline) break;
      d.indexStep(deadline);
    }
    return this.needsIndexing;
  }

  /** True when some dense vector has points waiting for the graph. */
  get needsIndexing(): boolean {
    for (const d of this.dense.values()) if (d.needsIndexing) return true;
    return false;
  }
}
