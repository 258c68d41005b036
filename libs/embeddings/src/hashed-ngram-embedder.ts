import { InvalidArgumentError } from '@x0/core';
import { ANALYZER_VERSION, fnv1a, isStopWord, stem, words } from './text-analysis';
import type { TextEmbedder } from './text-embedder';

const SEED_WORD = 0x2f0b3c1d;
const SEED_BIGRAM = 0x5bd1e995;
const SEED_CHAR = 0x68e31da4;
const LT = '<'.charCodeAt(0);
const GT = '>'.charCodeAt(0);

/** murmur3's 32-bit finaliser, shifted to 30 bits so map keys stay small integers (fast in V8). */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 2;
}

function bump(m: Map<number, number>, key: number): void {
  m.set(key, (m.get(key) ?? 0) + 1);
}

/** Adds ±weight for each character n-gram of `<word>` (hashed, seeded by n) straight into `v`. */
function addCharNgrams(word: string, sizes: readonly number[], v: Float32Array, weight: number): void {
  const dim = v.length;
  const len = word.length + 2;
  const codes = CODES.length >= len ? CODES : (CODES = new Uint16Array(len * 2));
  codes[0] = LT;
  for (let i = 0; i < word.length; i++) codes[i + 1] = word.charCodeAt(i);
  codes[len - 1] = GT;
  for (const n of sizes) {
    for (let i = 0; i + n <= len; i++) {
      let h = (SEED_CHAR ^ n) >>> 0;
      for (let j = i; j < i + n; j++) {
        h ^= codes[j];
        h = Math.imul(h, 0x01000193);
      }
      const key = fmix(h);
      v[(key & 0x1fffffff) % dim] += key & 0x20000000 ? weight : -weight;
    }
  }
}

let CODES = new Uint16Array(64);

/** Settings of the hashed n-gram embedder. */
export interface HashedNgramOptions {
  /** Vector length (default 256). */
  dim?: number;
  /** Character n-gram lengths taken inside each word, `<word>` padded (default 3..5). */
  charNgrams?: readonly number[];
  /** Weight of word unigrams, word bigrams and character n-grams (defaults 1, 0.5, 0.35). */
  weights?: { word?: number; bigram?: number; char?: number };
}

/**
 * Dense text embedding without a model: stemmed words, word bigrams and character n-grams
 * (fastText-style, which matches inflections and typos: "throttling" ~ "throttled") are hashed
 * into `dim` buckets with a random sign (the hashing trick), weighted by 1 + ln(tf), and the
 * vector is L2-normalised. Deterministic across processes and machines; nothing is downloaded.
 * It captures shared vocabulary, not meaning: paraphrases with no words in common score low.
 */
export class HashedNgramEmbedder implements TextEmbedder {
  readonly dim: number;
  readonly id: string;
  private readonly charNgrams: readonly number[];
  private readonly w: { word: number; bigram: number; char: number };

  constructor(options: HashedNgramOptions = {}) {
    this.dim = options.dim ?? 256;
    if (!Number.isInteger(this.dim) || this.dim < 8 || this.dim > 8192) throw new InvalidArgumentError('dim', 'must be an integer in [8, 8192]');
    this.charNgrams = options.charNgrams ?? [3, 4, 5];
    if (this.charNgrams.some((n) => !Number.isInteger(n) || n < 1 || n > 10)) throw new InvalidArgumentError('charNgrams', 'must be integers in [1, 10]');
    this.w = { word: 1, bigram: 0.5, char: 0.35, ...options.weights };
    this.id = `hashed-ngram-v${ANALYZER_VERSION}:d${this.dim}:c${this.charNgrams.join('')}:w${this.w.word}/${this.w.bigram}/${this.w.char}`;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    return texts.map((t, i) => this.embedOne(t, `texts[${i}]`));
  }

  /** Synchronous form of `embed` for one text. */
  embedOne(text: string, field = 'text'): Float32Array {
    if (typeof text !== 'string' || text.trim() === '') throw new InvalidArgumentError(field, 'must be a non-empty string');
    // Words and bigrams get sub-linear term frequency (1 + ln tf); character n-grams, far more
    // numerous, are added per occurrence straight from character codes (no substrings, no maps).
    const v = new Float32Array(this.dim);
    const wordTf = new Map<number, number>();
    const bigramTf = new Map<number, number>();
    let prev: string | undefined;
    for (const word of words(text)) {
      if (isStopWord(word)) continue;
      const s = stem(word);
      bump(wordTf, fnv1a(s, SEED_WORD) >>> 2);
      if (prev !== undefined) bump(bigramTf, fnv1a(s, fnv1a(prev, SEED_BIGRAM)) >>> 2);
      prev = s;
      if (this.w.char > 0) addCharNgrams(word, this.charNgrams, v, this.w.char);
    }
    const families: Array<[Map<number, number>, number]> = [
      [wordTf, this.w.word],
      [bigramTf, this.w.bigram],
    ];
    for (const [tfs, base] of families) {
      if (base <= 0) continue;
      // 30-bit keys: the top bit picks the sign, the rest the bucket.
      for (const [key, tf] of tfs) v[(key & 0x1fffffff) % this.dim] += (key & 0x20000000 ? base : -base) * (1 + Math.log(tf));
    }
    let norm = 0;
    for (let i = 0; i < v.length; i++) norm += v[i] * v[i];
    if (norm === 0) {
      // Only stop-words or symbols: fall back to the raw characters so the vector is never zero.
      const h = fnv1a(text.trim().toLowerCase());
      v[h % this.dim] = 1;
      return v;
    }
    const inv = 1 / Math.sqrt(norm);
    for (let i = 0; i < v.length; i++) v[i] *= inv;
    return v;
  }
}
