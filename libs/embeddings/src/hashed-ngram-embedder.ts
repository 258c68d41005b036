import { InvalidArgumentError } from '@x0/core';
import { ANALYZER_VERSION, fnv1a, isStopWord, stem, words } from './text-analysis';
import type { TextEmbedder } from './text-embedder';

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
    const counts = new Map<string, number>();
    const add = (feature: string, weight: number) => counts.set(feature, (counts.get(feature) ?? 0) + weight);
    const stems: string[] = [];
    for (const word of words(text)) {
      if (isStopWord(word)) continue;
      const s = stem(word);
      stems.push(s);
      add(`w:${s}`, this.w.word);
      const padded = `<${word}>`;
      for (const n of this.charNgrams) {
        for (let i = 0; i + n <= padded.length; i++) add(`c:${padded.slice(i, i + n)}`, this.w.char);
      }
    }
    for (let i = 1; i < stems.length; i++) add(`b:${stems[i - 1]}_${stems[i]}`, this.w.bigram);
    const v = new Float32Array(this.dim);
    for (const [feature, tf] of counts) {
      const h = fnv1a(feature);
      const sign = h & 1 ? 1 : -1;
      // Sub-linear term frequency, relative to the feature's base weight.
      const base = feature[0] === 'w' ? this.w.word : feature[0] === 'b' ? this.w.bigram : this.w.char;
      v[(h >>> 1) % this.dim] += sign * base * (1 + Math.log(tf / base));
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
