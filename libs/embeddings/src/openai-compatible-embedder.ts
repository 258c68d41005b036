import { InvalidArgumentError, UnavailableError, errorMessage } from '@x0/core';
import type { TextEmbedder } from './text-embedder';

/** Settings of an OpenAI-compatible embeddings endpoint (OpenAI, Ollama, TEI, vLLM, LocalAI...). */
export interface OpenAiCompatibleOptions {
  /** Base URL, e.g. `http://localhost:11434` (Ollama) or `http://tei:8080`; `/v1/embeddings` is appended unless present. */
  url: string;
  model: string;
  apiKey?: string;
  /** Expected vector length; checked on every answer (the first answer fixes it when not given). */
  dim?: number;
  /** Texts per request (default 64). */
  batchSize?: number;
  /** Per-request timeout in ms (default 30,000). */
  timeoutMs?: number;
}

/**
 * `TextEmbedder` calling `POST <url>/v1/embeddings` with `{ model, input: [...] }` and reading
 * `data[i].embedding`. Vectors are L2-normalised. Throws `UnavailableError` when the endpoint
 * cannot be reached, answers with an error status or with a malformed body.
 */
export class OpenAiCompatibleEmbedder implements TextEmbedder {
  readonly id: string;
  private dimValue: number | undefined;
  private readonly endpoint: string;

  constructor(private readonly options: OpenAiCompatibleOptions) {
    if (!options?.url || !/^https?:\/\/\S+$/.test(options.url)) throw new InvalidArgumentError('url', 'must be an http(s) URL');
    if (!options.model) throw new InvalidArgumentError('model', 'must name the embedding model');
    if (options.dim !== undefined && (!Number.isInteger(options.dim) || options.dim < 1)) throw new InvalidArgumentError('dim', 'must be a positive integer');
    const base = options.url.replace(/\/+$/, '');
    this.endpoint = base.endsWith('/embeddings') ? base : base.endsWith('/v1') ? `${base}/embeddings` : `${base}/v1/embeddings`;
    this.dimValue = options.dim;
    this.id = `openai-compatible:${options.model}`;
  }

  /** Vector length: the configured one, or the one learnt from the first answer (0 before that). */
  get dim(): number {
    return this.dimValue ?? 0;
  }

  /** Embeds one text to learn the vector length when it was not configured. */
  async probe(): Promise<number> {
    if (this.dimValue === undefined) await this.embed(['dimension probe']);
    return this.dimValue!;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    texts.forEach((t, i) => {
      if (typeof t !== 'string' || t.trim() === '') throw new InvalidArgumentError(`texts[${i}]`, 'must be a non-empty string');
    });
    const out: Float32Array[] = [];
    const size = this.options.batchSize ?? 64;
    for (let i = 0; i < texts.length; i += size) out.push(...(await this.request(texts.slice(i, i + size))));
    return out;
  }

  private async request(input: readonly string[]): Promise<Float32Array[]> {
    let res: Response;
    try {
      res = await fetch(this.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}) },
        body: JSON.stringify({ model: this.options.model, input }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (err) {
      throw new UnavailableError(`embeddings endpoint ${this.endpoint} unreachable: ${errorMessage(err)}`, { cause: err });
    }
    const text = await res.text().catch(() => '');
    if (!res.ok) throw new UnavailableError(`embeddings endpoint ${this.endpoint} answered ${res.status}: ${text.slice(0, 200)}`);
    let body: { data?: Array<{ embedding?: unknown; index?: number }> };
    try {
      body = JSON.parse(text);
    } catch {
      throw new UnavailableError(`embeddings endpoint ${this.endpoint} answered with a body that is not JSON`);
    }
    const data = body?.data;
    if (!Array.isArray(data) || data.length !== input.length) {
      throw new UnavailableError(`embeddings endpoint ${this.endpoint} returned ${Array.isArray(data) ? data.length : 'no'} embeddings for ${input.length} inputs`);
    }
    const ordered = data.every((d) => Number.isInteger(d.index)) ? [...data].sort((a, b) => a.index! - b.index!) : data;
    return ordered.map((d, i) => {
      const e = d.embedding;
      if (!Array.isArray(e) || e.length === 0 || !e.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        throw new UnavailableError(`embeddings endpoint ${this.endpoint} returned a malformed embedding at ${i}`);
      }
      this.dimValue ??= e.length;
      if (e.length !== this.dimValue) throw new UnavailableError(`embeddings endpoint ${this.endpoint} returned ${e.length} dimensions, expected ${this.dimValue}`);
      const v = Float32Array.from(e as number[]);
      const norm = Math.hypot(...v);
      if (norm > 0) for (let j = 0; j < v.length; j++) v[j] /= norm;
      return v;
    });
  }
}
