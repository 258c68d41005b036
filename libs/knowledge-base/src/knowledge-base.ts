import { misspeltCause, misspeltCauseMessage } from '@x0/contracts';
import { deriveId, FailedPreconditionError, InvalidArgumentError } from '@x0/core';
import { Bm25SparseEncoder, chunkMarkdown, HashedNgramEmbedder, terms, type ChunkedDocument, type ChunkOptions, type TextEmbedder } from '@x0/embeddings';
import type { Condition, Distance, Filter, Payload, ScoredPoint, VectorStore } from '@x0/vector-store';

/** Remediation actions the planner knows; runbook passages are tagged with those they mention. */
export const ACTION_NAMES = ['scale_up', 'restart', 'throttle', 'failover', 'clear_cache', 'rollback'] as const;
/** One of `ACTION_NAMES`. */
export type ActionName = (typeof ACTION_NAMES)[number];

/**
 * Largest runbook `ingestRunbook` takes, in UTF-8 bytes (1 MiB). A runbook is a few pages
 * (the shipped ones are 3–4 KB); a file this big is a log, a dump or a manual, and its
 * hundreds of passages would crowd out the real runbooks in every search. It also stays well
 * under gRPC's 4 MiB message limit, so the knowledge service can answer INVALID_ARGUMENT.
 */
export const MAX_RUNBOOK_BYTES = 1024 * 1024;

/** Throws InvalidArgumentError naming `field` when `markdown` is larger than MAX_RUNBOOK_BYTES. */
export function checkRunbookSize(markdown: string, field = 'markdown'): void {
  const bytes = Buffer.byteLength(markdown, 'utf8');
  if (bytes > MAX_RUNBOOK_BYTES) throw new InvalidArgumentError(field, `is ${bytes} bytes; a runbook may be at most ${MAX_RUNBOOK_BYTES} bytes (1 MiB)`);
}

/** A runbook read and checked by {@link parseRunbook}, ready to index. */
export interface ParsedRunbook {
  doc: ChunkedDocument;
  /** The front matter's `cause`. */
  cause?: string;
  /** The front matter's `title`, else the document's first heading. */
  title?: string;
  /** The front matter's `actions`. */
  runbookActions: ActionName[];
}

/**
 * Reads a Markdown runbook as `ingestRunbook` does, without indexing it, so a client can check
 * every file of a folder before sending the first (`x0 kb add`). Throws InvalidArgumentError for
 * a runbook over MAX_RUNBOOK_BYTES, front matter that does not parse, a `cause` that is not
 * snake_case or is one typo away from a built-in cause (`disk_ful`), an action that is not one of ACTION_NAMES, or no text to index.
 */
export function parseRunbook(source: string, markdown: string, chunking?: ChunkOptions): ParsedRunbook {
  checkRunbookSize(markdown);
  const doc = chunkMarkdown(source, markdown, chunking);
  const fm = doc.frontMatter;
  const cause = fm.cause === undefined ? undefined : String(fm.cause);
  if (cause !== undefined && !CAUSE.test(cause)) throw new InvalidArgumentError('frontMatter.cause', `must be snake_case like cpu_saturation, got '${cause}'`);
  // A cause one typo away from a known one would key the runbook to a cause nothing else uses.
  const near = cause !== undefined ? misspeltCause(cause) : undefined;
  if (near) throw new InvalidArgumentError('frontMatter.cause', misspeltCauseMessage(cause!, near));
  const runbookActions = toActions(fm.actions, 'frontMatter.actions');
  const title = typeof fm.title === 'string' ? fm.title : doc.title;
  if (doc.chunks.length === 0) throw new InvalidArgumentError('markdown', 'has no text to index');
  return { doc, runbookActions, ...(cause !== undefined ? { cause } : {}), ...(title !== undefined ? { title } : {}) };
}

/** How `searchRunbooks` ranks: BM25 and dense fused with RRF (default), BM25 only, or dense only. */
export type RetrievalMode = 'hybrid' | 'lexical' | 'dense';

/** Dependencies and settings of a knowledge base. */
export interface KnowledgeBaseOptions {
  store: VectorStore;
  /** Dense text embedder (default: `HashedNgramEmbedder`, 256 dimensions). */
  embedder?: TextEmbedder;
  /** Sparse encoder (default: BM25, k1 1.2, b 0.75, average chunk length 120 terms). */
  sparse?: Bm25SparseEncoder;
  /** Collection names (defaults `runbooks`, `incidents`). */
  collections?: { runbooks?: string; incidents?: string };
  /** Length of incident signatures (default 64) and how to compare them (default cosine). */
  signature?: { dim?: number; distance?: Distance };
  chunking?: ChunkOptions;
}

/** A retrieved runbook passage. */
export interface RunbookHit {
  id: string;
  score: number;
  source: string;
  /** The front matter's `title`, else the runbook's first heading, else its source (file name). */
  title: string;
  /** The runbook's `cause` (front matter), e.g. `cpu_saturation`. */
  cause?: string;
  headings: string[];
  text: string;
  /** Actions this passage mentions. */
  actions: ActionName[];
  /** Actions the runbook lists in its front matter. */
  runbookActions: ActionName[];
  /**
   * Whether the passage (its headings and text, as indexed) shares a search term with the query.
   * A hit that shares none was found by meaning alone (the dense embedding): for a query no
   * passage shares a word with, every hit is such a nearest neighbour and may be unrelated.
   */
  sharedWords: boolean;
}

/** Restricts runbook search. */
export interface RunbookFilter {
  cause?: string | readonly string[];
  source?: string;
  /** Only passages that mention this action. */
  action?: ActionName;
}

/** Payload of an incident: at least the component and fault kind; anything else is kept as is. */
export interface IncidentPayload {
  component: string;
  kind: string;
  [key: string]: unknown;
}

/** A similar past incident (treat `payload` as read-only: the embedded store hands out its frozen copy). */
export interface IncidentHit {
  id: string;
  score: number;
  payload: IncidentPayload;
}

const CAUSE = /^[a-z][a-z0-9_]{0,63}$/;
const ACTION_RE = new RegExp(`\\b(${ACTION_NAMES.join('|')})\\b`, 'g');

/**
 * Runbooks and incidents over a `VectorStore`: runbook passages are indexed with a dense
 * embedding and a BM25 sparse vector and searched hybrid (RRF), lexical-only or dense-only;
 * incidents are stored by their numeric signature (an opaque fixed-length vector from the
 * monitor's detector) and searched by similarity, optionally per component or fault kind.
 */
export class KnowledgeBase {
  readonly runbooks: string;
  readonly incidents: string;
  private readonly store: VectorStore;
  private readonly embedder: TextEmbedder;
  private readonly sparse: Bm25SparseEncoder;
  private readonly signatureDim: number;
  private readonly signatureDistance: Distance;
  private started: Promise<void> | undefined;

  constructor(private readonly options: KnowledgeBaseOptions) {
    if (!options?.store) throw new InvalidArgumentError('store', 'is required');
    this.store = options.store;
    this.embedder = options.embedder ?? new HashedNgramEmbedder();
    this.sparse = options.sparse ?? new Bm25SparseEncoder();
    this.runbooks = options.collections?.runbooks ?? 'runbooks';
    this.incidents = options.collections?.incidents ?? 'incidents';
    this.signatureDim = options.signature?.dim ?? 64;
    this.signatureDistance = options.signature?.distance ?? 'cosine';
  }

  /** Creates both collections and their payload indexes if missing (the store must be started). Safe to call twice. */
  start(): Promise<void> {
    this.started ??= (async () => {
      // An endpoint embedder may learn its dimension from its first answer.
      const dim = this.embedder.dim || (await this.embedder.embed(['dimension probe']))[0].length;
      await this.store
        .createCollection(this.runbooks, {
          vectors: { dense: { size: dim, distance: 'cosine' } },
          sparseVectors: { text: { modifier: 'idf' } },
          payloadIndexes: { source: 'keyword', cause: 'keyword', actions: 'keyword', chunk: 'integer' },
        })
        .catch((err: unknown) => {
          if (!(err instanceof FailedPreconditionError)) throw err;
          throw new FailedPreconditionError(`${err.message}: ${embedderChangedHint(this.runbooks, this.embedder.id)}`, { cause: err });
        });
      await this.store.createCollection(this.incidents, {
        vectors: { signature: { size: this.signatureDim, distance: this.signatureDistance } },
        payloadIndexes: { component: 'keyword', kind: 'keyword' },
      });
    })();
    return this.started;
  }

  /**
   * Chunks a Markdown runbook by heading and indexes its passages, replacing an earlier version
   * of the same source (new passages are written before stale ones are removed, so searches never
   * see the runbook missing). Front matter may name `cause`, `title` and `actions`. Throws
   * InvalidArgumentError for a runbook over MAX_RUNBOOK_BYTES, bad front matter or no text.
   */
  async ingestRunbook(source: string, markdown: string): Promise<{ source: string; chunks: number; cause?: string }> {
    const { doc, cause, runbookActions, title } = parseRunbook(source, markdown, this.options.chunking);
    await this.start();
    const texts = doc.chunks.map((c) => `${c.headings.join(' / ')}\n\n${c.text}`);
    const dense = await this.embedder.embed(texts);
    const points = doc.chunks.map((c, i) => ({
      id: deriveId('rb', source, c.index),
      vectors: { dense: dense[i], text: this.sparse.encodeDocument(texts[i]) },
      payload: {
        source,
        chunk: c.index,
        ...(title !== undefined ? { title } : {}),
        ...(cause !== undefined ? { cause } : {}),
        headings: c.headings,
        text: c.text,
        actions: mentionedActions(texts[i]),
        runbookActions,
        embedder: this.embedder.id,
      },
    }));
    await this.store.upsert(this.runbooks, points);
    await this.store.delete(this.runbooks, {
      filter: { must: [{ key: 'source', match: { value: source } }, { key: 'chunk', range: { gte: points.length } }] },
    });
    return { source, chunks: points.length, ...(cause !== undefined ? { cause } : {}) };
  }

  /**
   * Removes every passage of a runbook from the store (dense and sparse vectors alike, so
   * neither dense nor lexical search finds it again); returns how many there were.
   */
  async deleteRunbook(source: string): Promise<number> {
    await this.start();
    return this.store.delete(this.runbooks, { filter: sourceFilter(source) });
  }

  /** How many passages of a runbook are indexed (0 when none is). */
  async countRunbookPassages(source: string): Promise<number> {
    await this.start();
    return this.store.count(this.runbooks, sourceFilter(source));
  }

  /**
   * The dense embedding of a search text, for several searches of one text: pass it to
   * `searchRunbooks(text, { embedding })` and the embedder is asked once (with an endpoint
   * embedder, one HTTP call). Throws `InvalidArgumentError` for an empty text, and what the
   * embedder throws (an endpoint down).
   */
  async embedQuery(text: string): Promise<Float32Array> {
    checkSearchText(text);
    const [dense] = await this.embedder.embed([text]);
    return dense;
  }

  /**
   * Passages best matching an operator question or an anomaly description. `embedding`: the
   * text's from {@link embedQuery} (not embedded again; unused in lexical mode). Throws
   * `InvalidArgumentError` for an empty text, or in lexical mode for a text with no searchable words.
   */
  async searchRunbooks(text: string, options: { k?: number; filter?: RunbookFilter; mode?: RetrievalMode; embedding?: Float32Array } = {}): Promise<RunbookHit[]> {
    await this.start();
    checkSearchText(text);
    const k = options.k ?? 5;
    const mode = options.mode ?? 'hybrid';
    if (mode !== 'hybrid' && mode !== 'lexical' && mode !== 'dense') throw new InvalidArgumentError('mode', "must be 'hybrid', 'lexical' or 'dense'");
    const filter = runbookFilter(options.filter);
    const lexicalOk = terms(text).length > 0;
    if (mode === 'lexical' && !lexicalOk) throw new InvalidArgumentError('text', 'has no searchable words (only stop-words or symbols)');
    let hits: ScoredPoint[];
    if (mode === 'lexical') {
      hits = await this.store.search(this.runbooks, { using: 'text', vector: this.sparse.encodeQuery(text), limit: k, filter });
    } else {
      const dense = options.embedding ?? (await this.embedQuery(text));
      if (mode === 'dense' || !lexicalOk) {
        hits = await this.store.search(this.runbooks, { using: 'dense', vector: dense, limit: k, filter });
      } else {
        const candidates = Math.max(20, 4 * k);
        hits = await this.store.hybridSearch(this.runbooks, {
          prefetch: [
            { using: 'text', vector: this.sparse.encodeQuery(text), limit: candidates },
            { using: 'dense', vector: dense, limit: candidates },
          ],
          limit: k,
          filter,
        });
      }
    }
    const queryTerms = new Set(terms(text));
    return hits.map((h) => toRunbookHit(h, queryTerms));
  }

  /** Stores (or replaces) an incident by id with its signature vector and payload. */
  async upsertIncident(id: string, signature: Float32Array | readonly number[], payload: IncidentPayload): Promise<void> {
    await this.upsertIncidents([{ id, signature, payload }]);
  }

  /**
   * Stores many incidents in one write (one log record, one fsync with `fsync` durability).
   * All or nothing: an invalid one (missing component/kind, wrong signature length) fails
   * the call with InvalidArgumentError and nothing is stored.
   */
  async upsertIncidents(items: ReadonlyArray<{ id: string; signature: Float32Array | readonly number[]; payload: IncidentPayload }>): Promise<void> {
    await this.start();
    for (const { payload } of items) {
      if (!payload || typeof payload.component !== 'string' || !payload.component) throw new InvalidArgumentError('payload.component', 'must be a non-empty string');
      if (typeof payload.kind !== 'string' || !payload.kind) throw new InvalidArgumentError('payload.kind', 'must be a non-empty string');
    }
    if (items.length === 0) return;
    await this.store.upsert(
      this.incidents,
      items.map(({ id, signature, payload }) => ({ id, vectors: { signature }, payload })),
    );
  }

  /**
   * Past incidents most similar to a signature, optionally of one component and/or fault kind.
   * `excludeIncident`: leave out every record of that incident — those whose payload's
   * `incident_id` is it, and the record stored under its id (an older record without
   * `incident_id` is its own incident) — so a lasting fault is not its own evidence.
   */
  async searchIncidents(
    signature: Float32Array | readonly number[],
    options: { k?: number; component?: string; kind?: string; excludeIds?: readonly string[]; excludeIncident?: string } = {},
  ): Promise<IncidentHit[]> {
    await this.start();
    const must: Condition[] = [];
    if (options.component !== undefined) must.push({ key: 'component', match: { value: options.component } });
    if (options.kind !== undefined) must.push({ key: 'kind', match: { value: options.kind } });
    const mustNot: Condition[] = options.excludeIncident ? [{ key: 'incident_id', match: { value: options.excludeIncident } }] : [];
    const exclude = [...(options.excludeIds ?? []), ...(options.excludeIncident ? [options.excludeIncident] : [])];
    const filter: Filter | undefined = must.length > 0 || mustNot.length > 0 ? { ...(must.length > 0 ? { must } : {}), ...(mustNot.length > 0 ? { mustNot } : {}) } : undefined;
    const k = options.k ?? 5;
    const hits = await this.store.search(this.incidents, { using: 'signature', vector: signature, limit: k + exclude.length, filter });
    return hits
      .filter((h) => !exclude.includes(h.id))
      .slice(0, k)
      .map((h) => ({ id: h.id, score: h.score, payload: h.payload as IncidentPayload }));
  }
}

/**
 * What to do when the runbook passages were embedded by another embedder than the one
 * configured now (the service failed to start with only "exists with different vectors").
 */
export function embedderChangedHint(collection: string, embedderId: string): string {
  return (
    `the runbooks were embedded by another embedder than ${embedderId} (EMBEDDINGS_URL, EMBEDDINGS_MODEL or EMBEDDINGS_DIM changed). ` +
    `Set them back, or remove the '${collection}' collection and start again — embedded store: delete the folder '${collection}' of the store ` +
    `(knowledge service: $X0_DATA_DIR/vectors/vector-store/${collection}) while the service is stopped; Qdrant: DELETE /collections/${collection} — ` +
    `then the runbook folder is ingested again; add the runbooks it does not hold with x0 kb add (incidents are kept)`
  );
}

function toActions(v: unknown, field: string): ActionName[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new InvalidArgumentError(field, 'must be a list of action names');
  return v.map((a, i) => {
    if (!(ACTION_NAMES as readonly string[]).includes(a)) throw new InvalidArgumentError(`${field}[${i}]`, `must be one of ${ACTION_NAMES.join(', ')}`);
    return a as ActionName;
  });
}

function mentionedActions(text: string): ActionName[] {
  return [...new Set(text.match(ACTION_RE) ?? [])] as ActionName[];
}

function checkSearchText(text: string): void {
  if (typeof text !== 'string' || text.trim() === '') throw new InvalidArgumentError('text', 'must be a non-empty string');
}

function sourceFilter(source: string): Filter {
  return { must: [{ key: 'source', match: { value: source } }] };
}

function runbookFilter(f: RunbookFilter | undefined): Filter | undefined {
  if (!f) return undefined;
  const must: Condition[] = [];
  if (typeof f.cause === 'string') must.push({ key: 'cause', match: { value: f.cause } });
  else if (Array.isArray(f.cause)) must.push({ key: 'cause', match: { any: f.cause } });
  if (f.source !== undefined) must.push({ key: 'source', match: { value: f.source } });
  if (f.action !== undefined) must.push({ key: 'actions', match: { value: f.action } });
  return must.length > 0 ? { must } : undefined;
}

function toRunbookHit(h: ScoredPoint, queryTerms: ReadonlySet<string>): RunbookHit {
  const p = h.payload as Payload;
  const headings = [...((p.headings as string[]) ?? [])];
  // the text as it was indexed (ingestRunbook): headings, then the passage
  const indexed = terms(`${headings.join(' / ')}\n\n${String(p.text)}`);
  return {
    id: h.id,
    score: h.score,
    source: String(p.source),
    // A runbook without title or heading (a plain-text one) is called by its file name: it was
    // listed untitled ('1.000    [notes.txt]') and analyze's summary read 'runbook: ' with nothing.
    title: String(p.title ?? p.source),
    ...(p.cause !== undefined ? { cause: String(p.cause) } : {}),
    headings: [...((p.headings as string[]) ?? [])],
    text: String(p.text),
    actions: [...((p.actions as ActionName[]) ?? [])],
    runbookActions: [...((p.runbookActions as ActionName[]) ?? [])],
    sharedWords: indexed.some((t) => queryTerms.has(t)),
  };
}
