/**
 * Turns texts into dense vectors of a fixed length. Implementations: `HashedNgramEmbedder`
 * (local, deterministic) and `OpenAiCompatibleEmbedder` (an `/v1/embeddings` endpoint).
 */
export interface TextEmbedder {
  /** Identifies the model and its settings; store it with the vectors and re-embed when it changes. */
  readonly id: string;
  /** Length of every vector (0 while an endpoint embedder has not answered yet and was not told). */
  readonly dim: number;
  /** One L2-normalised vector per text, in order. Throws `InvalidArgumentError` for an empty text. */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}
