import os from 'node:os';
import { Index as UsearchIndex, MetricKind, ScalarKind } from 'usearch';
import type { Distance } from '../types';
import { TopK } from './top-k';

/** Tuning of the approximate (HNSW) index of a dense vector. */
export interface HnswOptions {
  /** Graph degree (HNSW `M`; usearch `connectivity`). */
  m: number;
  /** Beam width while inserting (usearch `expansion_add`). */
  efConstruction: number;
  /** Beam width of an unfiltered search (usearch `expansion_search`); filtered searches widen it. */
  efSearch: number;
  /** Below this many vectors every search is exact and no graph is built. */
  exactThreshold: number;
  /**
   * Work (multiply-adds: candidates × dimension) up to which a filtered search scans the payload
   * index's candidates exactly instead of walking the graph (default 512,000: 8,000 64-d or
   * 2,000 256-d vectors, under a millisecond).
   */
  filteredScanMacs?: number;
  /**
   * Threads that insert a batch of pending vectors into the graph (default: the machine's
   * available parallelism). The call blocks the event loop for one slice either way; more
   * threads insert more vectors in that slice.
   */
  indexThreads?: number;
}

/** Default HNSW tuning: M=16, efConstruction=64, efSearch=64, exact below 2,000 vectors (efConstruction 100 built half as fast for no recall gain on clustered 64-d and 256-d data). */
export const DEFAULT_HNSW: HnswOptions = { m: 16, efConstruction: 64, efSearch: 64, exactThreshold: 2_000, filteredScanMacs: 2_000 * 256 };

/**
 * Search options: an optional predicate on slots and, when known, the slots that can pass it
 * (a superset is fine: each is still checked with the predicate).
 */
export interface DenseSearchOptions {
  predicate?: (slot: number) => boolean;
  candidates?: ReadonlySet<number>;
  /** True when every candidate passes the predicate (the payload index answered the filter exactly). */
  candidatesExact?: boolean;
  exact?: boolean;
}

/** Most vectors inserted into the graph by one call (bounds the gather buffers). */
const MAX_INDEX_BATCH = 1024;

/** Widest candidate list a filtered graph search asks for before filtering. */
const MAX_FILTERED_CANDIDATES = 2048;

/**
 * Dense vectors of one named vector, stored by slot in one Float32Array, plus an HNSW graph
 * (usearch) built in the background in batches that all cores insert. A vector is searchable
 * as soon as it is set: vectors not yet in the graph ("pending") are scanned exactly and merged
 * with the graph's answer. Graph keys are slots.
 */
export class DenseIndex {
  private data = new Float32Array(0);
  private has = new Uint8Array(0);
  private indexed = new Uint8Array(0);
  private readonly pending = new Set<number>();
  private graph: UsearchIndex | undefined;
  private countValue = 0;
  private readonly space: 'ip' | 'l2';
  private readonly threads: number;
  /** Gather buffers of one insert batch (allocated with the graph). */
  private batchKeys = new BigUint64Array(0);
  private batchVectors = new Float32Array(0);
  /** Running estimate of the wall time of one graph insert (ms), to size batches to the slice. */
  private insertMs = 0.05;

  constructor(
    readonly dim: number,
    readonly distance: Distance,
    private readonly opts: HnswOptions = DEFAULT_HNSW,
  ) {
    this.space = distance === 'euclid' ? 'l2' : 'ip';
    this.threads = Math.max(1, Math.floor(opts.indexThreads ?? os.availableParallelism()));
  }

  /** Number of vectors held. */
  get count(): number {
    return this.countValue;
  }

  /** Vectors not yet in the graph (all of them while the collection is below the exact threshold). */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** True when a graph exists and background work remains. */
  get needsIndexing(): boolean {
    return this.pending.size > 0 && this.countValue >= this.opts.exactThreshold;
  }

  /** Bytes held in typed arrays plus an estimate of the graph's native memory (vector, level-0 links, key, per-node header). */
  get approximateBytes(): number {
    const perElement = this.dim * 4 + 2 * this.opts.m * 4 + 8 + 16;
    return this.data.byteLength + this.has.byteLength * 2 + (this.graph?.capacity() ?? 0) * perElement * 1.1;
  }

  private grow(slot: number): void {
    if (slot < this.has.length) return;
    const cap = Math.max(1024, this.has.length * 2, slot + 1);
    const data = new Float32Array(cap * this.dim);
    data.set(this.data);
    const has = new Uint8Array(cap);
    has.set(this.has);
    const indexed = new Uint8Array(cap);
    indexed.set(this.indexed);
    this.data = data;
    this.has = has;
    this.indexed = indexed;
  }

  /** Stores (or replaces) the vector of a slot; normalises it for cosine. */
  set(slot: number, vec: Float32Array): void {
    this.grow(slot);
    const off = slot * this.dim;
    const dst = this.data.subarray(off, off + this.dim);
    dst.set(vec);
    if (this.distance === 'cosine') normalize(dst);
    if (!this.has[slot]) {
      this.has[slot] = 1;
      this.countValue++;
    }
    if (this.indexed[slot]) {
      // The graph holds the old vector: drop it until the indexer re-adds the slot.
      this.graph!.remove(BigInt(slot));
      this.indexed[slot] = 0;
    }
    this.pending.add(slot);
  }

  /** Removes the vector of a slot, if any. */
  remove(slot: number): void {
    if (slot >= this.has.length || !this.has[slot]) return;
    this.has[slot] = 0;
    this.countValue--;
    this.pending.delete(slot);
    if (this.indexed[slot]) {
      this.graph!.remove(BigInt(slot));
      this.indexed[slot] = 0;
    }
  }

  /** A copy of the stored (normalised, for cosine) vector of a slot. */
  get(slot: number): Float32Array | undefined {
    if (slot >= this.has.length || !this.has[slot]) return undefined;
    return this.data.slice(slot * this.dim, (slot + 1) * this.dim);
  }

  /**
   * Adds pending vectors to the graph until `deadline` (performance.now() ms); true while work
   * remains. Each call to the graph inserts a batch on every index thread, sized from the
   * measured cost of an insert so that the slice ends about on time.
   */
  indexStep(deadline: number): boolean {
    if (this.countValue < this.opts.exactThreshold) return false;
    const graph = (this.graph ??= this.createGraph());
    const it = this.pending.values();
    while (this.pending.size > 0) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      const n = Math.max(1, Math.min(MAX_INDEX_BATCH, this.pending.size, Math.floor(left / this.insertMs)));
      const keys = this.batchKeys;
      const vectors = this.batchVectors;
      const dim = this.dim;
      for (let j = 0; j < n; j++) {
        const slot = it.next().value as number;
        keys[j] = BigInt(slot);
        vectors.set(this.data.subarray(slot * dim, (slot + 1) * dim), j * dim);
      }
      const t0 = performance.now();
      graph.add(keys.subarray(0, n), vectors.subarray(0, n * dim), this.threads);
      this.insertMs = Math.max(0.001, 0.7 * this.insertMs + (0.3 * (performance.now() - t0)) / n);
      for (let j = 0; j < n; j++) {
        const slot = Number(keys[j]);
        this.indexed[slot] = 1;
        this.pending.delete(slot);
      }
    }
    return this.pending.size > 0;
  }

  private createGraph(): UsearchIndex {
    this.batchKeys = new BigUint64Array(MAX_INDEX_BATCH);
    this.batchVectors = new Float32Array(MAX_INDEX_BATCH * this.dim);
    return new UsearchIndex({
      dimensions: this.dim,
      // Cosine vectors are stored normalised, so inner product ranks them (distance = 1 - dot).
      metric: this.space === 'ip' ? MetricKind.IP : MetricKind.L2sq,
      quantization: ScalarKind.F32,
      connectivity: this.opts.m,
      expansion_add: this.opts.efConstruction,
      expansion_search: this.opts.efSearch,
      multi: false,
    });
  }

  /** Top-k slots for a query, best first, with Qdrant-compatible scores (similarity, or distance for euclid). */
  search(query: Float32Array, k: number, opts: DenseSearchOptions = {}): Array<{ slot: number; score: number }> {
    const q = this.distance === 'cosine' ? normalize(Float32Array.from(query)) : query;
    const useGraph = !opts.exact && this.graph !== undefined && this.countValue >= this.opts.exactThreshold;
    // Candidates the payload index vouches for need no predicate call each.
    const scanPred = opts.candidates && opts.candidatesExact ? undefined : opts.predicate;
    if (!useGraph) return this.finish(this.scan(q, k, opts.candidates, scanPred));
    // Like Qdrant's query planner: a filter that leaves few points is answered by an exact scan of
    // those points; a looser one takes a candidate list from the graph widened by 1/selectivity
    // and filters it (under a selective filter that list finds k hits but not reliably the best).
    const selectivity = opts.candidates ? opts.candidates.size / Math.max(1, this.countValue) : opts.predicate ? this.sampleSelectivity(opts.predicate) : 1;
    // When the payload index names the candidates, scan them exactly up to a fixed amount of work
    // (512k multiply-adds, under a millisecond: 8,000 64-d or 2,000 256-d vectors): exact, and no
    // dearer than a filtered graph search, whose candidate list grows by 1/selectivity.
    const cheapScan = opts.candidates !== undefined && opts.candidates.size * this.dim <= (this.opts.filteredScanMacs ?? DEFAULT_HNSW.filteredScanMacs!);
    if (cheapScan || selectivity * this.countValue <= Math.max(this.opts.exactThreshold, k * 8)) {
      return this.finish(this.scan(q, k, opts.candidates, scanPred));
    }
    const top = new TopK(k);
    const pred = opts.predicate;
    // Unfiltered: the graph's top k. Filtered: a candidate list widened by 1/selectivity (at most
    // 32x and 2,048), filtered here; the exact fallback below covers a filter that starves it.
    const wanted = pred ? Math.min(MAX_FILTERED_CANDIDATES, Math.ceil(Math.max(this.opts.efSearch, k) / Math.max(selectivity, 1 / 32))) : k;
    const res = this.graph!.search(q, wanted, 1);
    const keys = res.keys;
    const distances = res.distances;
    for (let i = 0; i < keys.length; i++) {
      const slot = Number(keys[i]);
      if (pred && !pred(slot)) continue;
      const d = distances[i];
      top.push(slot, this.space === 'ip' ? 1 - d : -d);
    }
    for (const slot of this.pending) {
      if (pred && !pred(slot)) continue;
      top.push(slot, this.rankValue(q, slot));
    }
    if (top.size < k) {
      // A selective filter can starve the graph walk: answer exactly so k hits come back when they exist.
      const exact = this.scan(q, k, opts.candidates, scanPred);
      if (exact.size > top.size) return this.finish(exact);
    }
    return this.finish(top);
  }

  /** Share of up to 256 evenly spaced stored vectors that pass the predicate. */
  private sampleSelectivity(pred: (slot: number) => boolean): number {
    const n = this.has.length;
    const step = Math.max(1, Math.floor(n / 256));
    let seen = 0;
    let pass = 0;
    for (let slot = 0; slot < n; slot += step) {
      if (!this.has[slot]) continue;
      seen++;
      if (pred(slot)) pass++;
    }
    return seen === 0 ? 0 : pass / seen;
  }

  /** Exact top-k; ties go to the lower slot, so the order candidates are visited in does not matter. */
  private scan(q: Float32Array, k: number, candidates: ReadonlySet<number> | undefined, pred?: (slot: number) => boolean): TopK {
    const top = new TopK(k, 'slot');
    if (candidates) {
      for (const slot of candidates) {
        if (slot < this.has.length && this.has[slot] && (!pred || pred(slot))) top.push(slot, this.rankValue(q, slot));
      }
      return top;
    }
    const n = this.has.length;
    for (let slot = 0; slot < n; slot++) {
      if (this.has[slot] && (!pred || pred(slot))) top.push(slot, this.rankValue(q, slot));
    }
    return top;
  }

  /**
   * Higher is better: dot product, or minus the squared distance for euclid. Four running sums
   * (in doubles, so the order of additions does not change a result beyond ~1e-16) let the CPU
   * overlap the additions: about 3x faster than one sum on 64-d vectors.
   */
  private rankValue(q: Float32Array, slot: number): number {
    const data = this.data;
    const dim = this.dim;
    const off = slot * dim;
    const end = dim & ~3;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let i = 0;
    if (this.space === 'ip') {
      for (; i < end; i += 4) {
        a0 += q[i] * data[off + i];
        a1 += q[i + 1] * data[off + i + 1];
        a2 += q[i + 2] * data[off + i + 2];
        a3 += q[i + 3] * data[off + i + 3];
      }
      for (; i < dim; i++) a0 += q[i] * data[off + i];
      return a0 + a1 + (a2 + a3);
    }
    for (; i < end; i += 4) {
      const d0 = q[i] - data[off + i];
      const d1 = q[i + 1] - data[off + i + 1];
      const d2 = q[i + 2] - data[off + i + 2];
      const d3 = q[i + 3] - data[off + i + 3];
      a0 += d0 * d0;
      a1 += d1 * d1;
      a2 += d2 * d2;
      a3 += d3 * d3;
    }
    for (; i < dim; i++) {
      const d = q[i] - data[off + i];
      a0 += d * d;
    }
    return -(a0 + a1 + (a2 + a3));
  }

  private finish(top: TopK): Array<{ slot: number; score: number }> {
    return top.sorted().map(({ slot, value }) => ({ slot, score: this.space === 'ip' ? value : Math.sqrt(-value) }));
  }
}

/** Scales a vector to unit length in place (zero vectors stay zero). */
export function normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  if (s > 0) {
    const inv = 1 / Math.sqrt(s);
    for (let i = 0; i < v.length; i++) v[i] *= inv;
  }
  return v;
}
