import { InvalidArgumentError } from '@x0/core';
import { fnv1a, terms } from './text-analysis';

/** A sparse vector: ascending unique term ids and their weights. */
export interface SparseEmbedding {
  indices: Uint32Array;
  values: Float32Array;
}

/** BM25 parameters. */
export interface Bm25Options {
  /** Term-frequency saturation (default 1.2). */
  k1?: number;
  /** Length normalisation (default 0.75). */
  b?: number;
  /** Expected document length in terms (default 120, about one chunk of a runbook section). */
  avgDocLength?: number;
}

/**
 * BM25 as sparse vectors, in the split Qdrant uses with the `idf` modifier: a document term
 * weighs tf·(k1+1) / (tf + k1·(1 − b + b·len/avgDocLength)); a query term weighs 1; the store
 * multiplies by the collection's IDF at query time (the embedded store and Qdrant both do), so
 * IDF statistics live with the data and stay right as documents come and go. Term ids are a
 * 32-bit hash of the stemmed term (collisions are rare and only merge two terms).
 */
export class Bm25SparseEncoder {
  readonly k1: number;
  readonly b: number;
  readonly avgDocLength: number;

  constructor(options: Bm25Options = {}) {
    this.k1 = options.k1 ?? 1.2;
    this.b = options.b ?? 0.75;
    this.avgDocLength = options.avgDocLength ?? 120;
    if (!(this.k1 > 0)) throw new InvalidArgumentError('k1', 'must be > 0');
    if (!(this.b >= 0 && this.b <= 1)) throw new InvalidArgumentError('b', 'must be in [0, 1]');
    if (!(this.avgDocLength > 0)) throw new InvalidArgumentError('avgDocLength', 'must be > 0');
  }

  /** Document vector (BM25 term-frequency part). Throws `InvalidArgumentError` for an empty text. */
  encodeDocument(text: string): SparseEmbedding {
    const ts = this.analyze(text, 'text');
    const tf = new Map<number, number>();
    for (const t of ts) {
      const id = termId(t);
      tf.set(id, (tf.get(id) ?? 0) + 1);
    }
    const norm = this.k1 * (1 - this.b + (this.b * ts.length) / this.avgDocLength);
    return toSparse(tf, (f) => (f * (this.k1 + 1)) / (f + norm));
  }

  /** Query vector: weight 1 per distinct term. Throws `InvalidArgumentError` when no term is left. */
  encodeQuery(text: string): SparseEmbedding {
    const tf = new Map<number, number>();
    for (const t of this.analyze(text, 'query')) tf.set(termId(t), 1);
    return toSparse(tf, () => 1);
  }

  private analyze(text: string, field: string): string[] {
    if (typeof text !== 'string' || text.trim() === '') throw new InvalidArgumentError(field, 'must be a non-empty string');
    const ts = terms(text);
    if (ts.length === 0) throw new InvalidArgumentError(field, 'has no searchable words (only stop-words or symbols)');
    return ts;
  }
}

/** Sparse id of an analysed term. */
export function termId(term: string): number {
  return fnv1a(term, 0x9747b28c);
}

function toSparse(tf: Map<number, number>, weight: (f: number) => number): SparseEmbedding {
  const ids = [...tf.keys()].sort((a, b) => a - b);
  return { indices: Uint32Array.from(ids), values: Float32Array.from(ids, (id) => weight(tf.get(id)!)) };
}
