import { InvalidArgumentError } from '@x0/core';
import { HashedNgramEmbedder } from './hashed-ngram-embedder';

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);

describe('HashedNgramEmbedder', () => {
  const e = new HashedNgramEmbedder({ dim: 256 });

  it('embed - fixed length, unit norm, deterministic across instances', async () => {
    const [v] = await e.embed(['Disk usage above 95% on /var/lib']);
    expect(v).toHaveLength(256);
    expect(Math.sqrt(dot(v, v))).toBeCloseTo(1, 5);
    const [w] = await new HashedNgramEmbedder({ dim: 256 }).embed(['Disk usage above 95% on /var/lib']);
    expect(Array.from(w)).toEqual(Array.from(v));
    expect(e.id).toBe('hashed-ngram-v1:d256:c345:w1/0.5/0.35');
  });

  it('embed - texts sharing words or word forms are closer than unrelated ones', () => {
    const q = e.embedOne('connection pool exhausted');
    const near = e.embedOne('the connection pools are exhausting under load');
    const far = e.embedOne('certificate expiry on the ingress gateway');
    expect(dot(q, near)).toBeGreaterThan(0.4);
    expect(dot(q, near)).toBeGreaterThan(dot(q, far) + 0.3);
  });

  it('embed - rejects empty text; stop-words alone still give a unit vector', async () => {
    await expect(e.embed(['ok', '  '])).rejects.toThrow(new InvalidArgumentError('texts[1]', 'must be a non-empty string'));
    const v = e.embedOne('the of');
    expect(Math.sqrt(dot(v, v))).toBeCloseTo(1, 5);
    const wordsOnly = new HashedNgramEmbedder({ dim: 64, weights: { char: 0, bigram: 0 } }).embedOne('disk full');
    expect(wordsOnly.filter((x) => x !== 0)).toHaveLength(2); // one bucket per word, nothing else
    expect(Math.sqrt(dot(wordsOnly, wordsOnly))).toBeCloseTo(1, 5);
    expect(() => new HashedNgramEmbedder({ dim: 3 })).toThrow("'dim' must be an integer in [8, 8192]");
  });
});
