import type { NormalizedSparse } from '../validation';
import { TopK } from './top-k';

interface Posting {
  slots: Uint32Array;
  weights: Float32Array;
  n: number;
  /** Largest weight ever stored here (an upper bound; not lowered on removal). */
  max: number;
  /** Smallest weight ever stored here. */
  min: number;
}

/**
 * Inverted index of one named sparse vector: term id → (slot, weight) postings. Scores are
 * dot products of the query with each document; with the `idf` modifier each query term is
 * weighted by idf(t) = ln(1 + (N − n_t + 0.5) / (n_t + 0.5)), N = documents with this vector,
 * n_t = documents containing t — the BM25 IDF Qdrant applies. The statistics are the postings
 * themselves, so they are persisted and restored with the points.
 */
export class SparseIndex {
  private readonly postings = new Map<number, Posting>();
  private vectors: (NormalizedSparse | undefined)[] = [];
  private countValue = 0;
  private acc = new Float64Array(0);
  private touched = new Uint8Array(0);
  private hits = new Int32Array(0);
  private postingBytes = 0;

  constructor(readonly idf: boolean) {}

  /** Documents holding this vector. */
  get count(): number {
    return this.countValue;
  }

  /** Bytes in postings and stored vectors (typed arrays only). */
  get approximateBytes(): number {
    return this.postingBytes + this.acc.byteLength + this.touched.byteLength;
  }

  /** Stores (or replaces) the sparse vector of a slot. */
  set(slot: number, vec: NormalizedSparse): void {
    this.remove(slot);
    this.vectors[slot] = vec;
    this.countValue++;
    this.postingBytes += vec.indices.byteLength + vec.values.byteLength;
    for (let i = 0; i < vec.indices.length; i++) {
      const term = vec.indices[i];
      let p = this.postings.get(term);
      if (!p) {
        p = { slots: new Uint32Array(4), weights: new Float32Array(4), n: 0, max: -Infinity, min: Infinity };
        this.postings.set(term, p);
        this.postingBytes += 32;
      }
      if (p.n === p.slots.length) {
        const slots = new Uint32Array(p.n * 2);
        slots.set(p.slots);
        const weights = new Float32Array(p.n * 2);
        weights.set(p.weights);
        this.postingBytes += p.n * 8;
        p.slots = slots;
        p.weights = weights;
      }
      p.slots[p.n] = slot;
      p.weights[p.n] = vec.values[i];
      p.n++;
      if (vec.values[i] > p.max) p.max = vec.values[i];
      if (vec.values[i] < p.min) p.min = vec.values[i];
    }
  }

  /** Removes the sparse vector of a slot, if any (swap-removes it from each of its postings). */
  remove(slot: number): void {
    const vec = this.vectors[slot];
    if (!vec) return;
    this.vectors[slot] = undefined;
    this.countValue--;
    this.postingBytes -= vec.indices.byteLength + vec.values.byteLength;
    for (const term of vec.indices) {
      const p = this.postings.get(term)!;
      const i = p.slots.subarray(0, p.n).indexOf(slot);
      p.n--;
      p.slots[i] = p.slots[p.n];
      p.weights[i] = p.weights[p.n];
      if (p.n === 0) {
        this.postings.delete(term);
        this.postingBytes -= 32 + p.slots.byteLength * 2;
      }
    }
  }

  /** The stored sparse vector of a slot. */
  get(slot: number): NormalizedSparse | undefined {
    return this.vectors[slot];
  }

  /** Query weight of a term: its value, times its IDF when the modifier is on. */
  private termWeight(term: number, value: number): number {
    if (!this.idf) return value;
    const nt = this.postings.get(term)?.n ?? 0;
    const N = this.countValue;
    return value * Math.log(1 + (N - nt + 0.5) / (nt + 0.5));
  }

  /**
   * Top-k slots sharing at least one term with the query, best first, passing the predicate.
   * Exact, term at a time, rarest (highest bound) terms first; once the terms left cannot lift
   * a document that has no score yet above the current k-th best, they only add to documents
   * already scored ("continue" pruning), so common terms no longer touch every document.
   */
  search(query: NormalizedSparse, k: number, predicate?: (slot: number) => boolean): Array<{ slot: number; score: number }> {
    const cap = this.vectors.length;
    if (this.acc.length < cap) {
      const size = Math.max(cap, this.acc.length * 2);
      this.acc = new Float64Array(size);
      this.touched = new Uint8Array(size);
      this.hits = new Int32Array(size);
    }
    const acc = this.acc;
    const touched = this.touched;
    const hits = this.hits;
    let nHits = 0;
    const terms: Array<{ p: Posting; w: number; bound: number }> = [];
    let canPrune = true;
    for (let t = 0; t < query.indices.length; t++) {
      const p = this.postings.get(query.indices[t]);
      if (!p) continue;
      const w = this.termWeight(query.indices[t], query.values[t]);
      if (w < 0 || p.min < 0) canPrune = false;
      terms.push({ p, w, bound: w * p.max });
    }
    terms.sort((a, b) => b.bound - a.bound);
    let remaining = terms.reduce((sum, t) => sum + t.bound, 0);
    let admitting = true;
    for (const { p, w, bound } of terms) {
      remaining -= bound;
      const slots = p.slots;
      const weights = p.weights;
      if (admitting) {
        for (let i = 0; i < p.n; i++) {
          const slot = slots[i];
          if (!touched[slot]) {
            touched[slot] = 1;
            acc[slot] = 0;
            hits[nHits++] = slot;
          }
          acc[slot] += w * weights[i];
        }
        if (canPrune && nHits >= k && remaining < this.kthBest(k, nHits, predicate)) admitting = false;
      } else {
        for (let i = 0; i < p.n; i++) {
          const slot = slots[i];
          if (touched[slot]) acc[slot] += w * weights[i];
        }
      }
    }
    const top = new TopK(k);
    for (let i = 0; i < nHits; i++) {
      const slot = hits[i];
      touched[slot] = 0;
      if (!predicate || predicate(slot)) top.push(slot, acc[slot]);
    }
    return top.sorted().map(({ slot, value }) => ({ slot, score: value }));
  }

  /** k-th best partial score among the documents scored so far that pass the predicate (-Infinity if fewer). */
  private kthBest(k: number, nHits: number, predicate?: (slot: number) => boolean): number {
    const top = new TopK(k);
    for (let i = 0; i < nHits; i++) {
      const slot = this.hits[i];
      if (!predicate || predicate(slot)) top.push(slot, this.acc[slot]);
    }
    return top.threshold;
  }
}
