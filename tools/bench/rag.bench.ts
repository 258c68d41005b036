import { seededRandom } from '@x0/core';
/**
 * Retrieval benchmark of the embedded vector store at the scale of a busy installation:
 * 100,000 incident signatures (64 floats, cosine) and 100,000 runbook chunks (256-d hashed
 * n-gram embedding + BM25 sparse vector + payload with the passage text).
 *
 *   npx tsx tools/bench/rag.bench.ts            # prints one JSON line per figure
 *   RAG_BENCH_POINTS=20000 npx tsx tools/bench/rag.bench.ts   # smaller run
 *   RAG_BENCH_HNSW=16:32 npx tsx tools/bench/rag.bench.ts     # other graph parameters (M:efConstruction)
 *
 * Figures:
 *   rag.search_p50_ms / rag.search_p99_ms  incident top-10 search (HNSW), single query latency
 *   rag.recall_at_10                         incident top-10 vs exact search, 500 queries
 *   rag.runbook_dense_recall_at_10           runbook dense top-10 (HNSW) vs exact, for the questions of
 *                                            tools/eval/rag/runbook-questions.json
 *   rag.ingest_points_per_s                  the headline: points per second until they are durable AND in
 *                                            the HNSW graph (upserts + graph build, both collections), i.e.
 *                                            what a user pays before searches run at graph speed
 *   rag.upsert_points_per_s                  durable upserts alone (fsync per 1,000-point batch): points are
 *                                            searchable when upsert resolves, by an exact scan of the points
 *                                            not yet in the graph (slower the more are pending)
 *   rag.index_build_points_per_s             background HNSW catch-up after the upserts (all cores)
 *   rag.bytes_per_point                      RSS growth per point (both collections, graphs built, after GC):
 *                                            includes the graphs' native memory, payloads, ids, postings, and
 *                                            heap pages V8 keeps after collecting the streamed inputs
 * and extra figures for filtered incident search, runbook hybrid search, embedding throughput.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Bm25SparseEncoder, chunkMarkdown, HashedNgramEmbedder } from '@x0/embeddings';
import { EmbeddedVectorStore, type PointInput } from '@x0/vector-store';
import { runWhenMain, type Figure } from './figure';


v8.setFlagsFromString('--expose-gc');
const gc: () => void = vm.runInNewContext('gc');

const rng = seededRandom;

function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

const KINDS = ['cpu_saturation', 'memory_leak', 'latency_spike', 'error_burst', 'disk_full', 'queue_backlog', 'dependency_down', 'gc_pauses'];

/**
 * Incident signatures: each (fault kind, component) pair has its own centre and incidents
 * scatter around it (noise 0.35 per dimension around unit-variance centres) — the shape a
 * detector's embedding of similar faults has. 8 kinds × 200 components.
 */
function incidentGenerator(dim: number): (from: number, to: number) => PointInput[] {
  const r = rng(7);
  const centres = new Map<string, Float32Array>();
  return (from, to) => {
    const out: PointInput[] = [];
    for (let i = from; i < to; i++) {
      const kind = KINDS[Math.floor(r() * KINDS.length)];
      const component = `svc-${Math.floor(r() * 200)}`;
      const key = `${kind}/${component}`;
      let c = centres.get(key);
      if (!c) centres.set(key, (c = Float32Array.from({ length: dim }, () => gaussian(r))));
      const sig = Float32Array.from(c, (x) => x + 0.35 * gaussian(r));
      out.push({ id: `inc_${i}`, vectors: { signature: sig }, payload: { component, kind, ts: 1_700_000_000_000 + i * 1000, outcome: r() < 0.8 ? 'recovered' : 'failed', action: 'restart' } });
    }
    return out;
  };
}

/** Runbook chunk texts: sentences of the shipped runbooks recombined per service, with their headings. */
function chunkTexts(n: number): Array<{ source: string; cause: string; headings: string[]; text: string }> {
  const dir = path.resolve(__dirname, '../../deploy/runbooks');
  const pools = fs.readdirSync(dir).map((f) => {
    const doc = chunkMarkdown(f, fs.readFileSync(path.join(dir, f), 'utf8'));
    const sentences = doc.chunks.flatMap((c) => c.text.split(/(?<=[.:])\s+|\n+/).map((s) => ({ s: s.trim(), headings: c.headings }))).filter((x) => x.s.length > 20);
    return { source: f, cause: String(doc.frontMatter.cause), sentences };
  });
  const r = rng(11);
  const out = [];
  for (let i = 0; i < n; i++) {
    const p = pools[Math.floor(r() * pools.length)];
    const start = Math.floor(r() * p.sentences.length);
    const len = 3 + Math.floor(r() * 4);
    const picked = Array.from({ length: len }, (_, j) => p.sentences[(start + j) % p.sentences.length]);
    const svc = `svc-${Math.floor(r() * 2000)}`;
    out.push({ source: `${svc}/${p.source}`, cause: p.cause, headings: picked[0].headings, text: `Service ${svc}, team t-${Math.floor(r() * 90)}.\n${picked.map((x) => x.s).join(' ')}` });
  }
  return out;
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function latencies(fn: (i: number) => void, n: number): { p50: number; p99: number } {
  for (let i = 0; i < 50; i++) fn(i); // warm-up
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    fn(i);
    t.push(performance.now() - s);
  }
  t.sort((a, b) => a - b);
  return { p50: percentile(t, 0.5), p99: percentile(t, 0.99) };
}

async function asyncLatencies(fn: (i: number) => Promise<unknown>, n: number): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < 50; i++) await fn(i);
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await fn(i);
    t.push(performance.now() - s);
  }
  t.sort((a, b) => a - b);
  return { p50: percentile(t, 0.5), p99: percentile(t, 0.99) };
}

function memory(): { rss: number; heapExternal: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heapExternal: m.heapUsed + m.external };
}

export async function run(): Promise<Figure[]> {
  const n = Number(process.env.RAG_BENCH_POINTS ?? 100_000);
  const figures: Figure[] = [];
  const fig = (bench: string, value: number, unit: string) => figures.push({ bench, value: Math.round(value * 1000) / 1000, unit });

  // Inputs are generated batch by batch and dropped after their upsert (as a service ingests a
  // stream), so the heap holds the store's copy only; timings count the upserts alone.
  const embedder = new HashedNgramEmbedder({ dim: 256 });
  const sparse = new Bm25SparseEncoder();
  const texts = chunkTexts(n);
  const toChunkPoint = (c: (typeof texts)[number], i: number): PointInput => {
    const full = `${c.headings.join(' / ')}\n\n${c.text}`;
    return {
      id: `rb_${i}`,
      vectors: { dense: embedder.embedOne(full), text: sparse.encodeDocument(full) },
      payload: { source: c.source, chunk: i % 12, cause: c.cause, headings: c.headings, text: c.text, actions: [], runbookActions: [], embedder: embedder.id },
    };
  };
  let t0 = performance.now();
  const sample = Math.min(n, 10_000);
  for (let i = 0; i < sample; i++) toChunkPoint(texts[i], i);
  fig('rag.embed_chunks_per_s', sample / ((performance.now() - t0) / 1000), 'chunks/s');

  const nextIncidents = incidentGenerator(64);
  const queryBases: Float32Array[] = [];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'x0-bench-rag-'));
  const before = memory();
  const [m, efConstruction] = (process.env.RAG_BENCH_HNSW ?? '').split(':').map(Number);
  const store = new EmbeddedVectorStore({ dataDir, durability: 'fsync', hnsw: { ...(m > 0 ? { m } : {}), ...(efConstruction > 0 ? { efConstruction } : {}) } });
  await store.start();
  await store.createCollection('incidents', { vectors: { signature: { size: 64, distance: 'cosine' } }, payloadIndexes: { component: 'keyword', kind: 'keyword' } });
  await store.createCollection('runbooks', {
    vectors: { dense: { size: 256, distance: 'cosine' } },
    sparseVectors: { text: { modifier: 'idf' } },
    payloadIndexes: { source: 'keyword', cause: 'keyword', actions: 'keyword', chunk: 'integer' },
  });

  let ingestMs = 0;
  for (let i = 0; i < n; i += 1000) {
    const batch = nextIncidents(i, Math.min(n, i + 1000));
    if (queryBases.length < 1000) queryBases.push(batch[0].vectors.signature as Float32Array, batch[500]?.vectors.signature as Float32Array);
    const s0 = performance.now();
    await store.upsert('incidents', batch);
    ingestMs += performance.now() - s0;
  }
  for (let i = 0; i < n; i += 1000) {
    const batch = texts.slice(i, i + 1000).map((c, j) => toChunkPoint(c, i + j));
    const s0 = performance.now();
    await store.upsert('runbooks', batch);
    ingestMs += performance.now() - s0;
  }
  const ingestS = ingestMs / 1000;
  t0 = performance.now();
  await store.whenIndexed();
  const buildS = (performance.now() - t0) / 1000;
  fig('rag.ingest_points_per_s', (2 * n) / (ingestS + buildS), 'points/s');
  fig('rag.upsert_points_per_s', (2 * n) / ingestS, 'points/s');
  fig('rag.index_build_points_per_s', (2 * n) / buildS, 'points/s');

  const after = memory();
  fig('rag.bytes_per_point', (after.rss - before.rss) / (2 * n), 'bytes');
  fig('rag.heap_external_bytes_per_point', (after.heapExternal - before.heapExternal) / (2 * n), 'bytes');
  fig('rag.disk_bytes_per_point', dirBytes(dataDir) / (2 * n), 'bytes');

  // Queries: perturbed copies of stored signatures (a new incident resembling past ones).
  const r = rng(99);
  const queries = Array.from({ length: 1000 }, () => {
    const base = queryBases[Math.floor(r() * queryBases.length)];
    return Float32Array.from(base, (x) => x + 0.2 * gaussian(r));
  });
  const lat = await asyncLatencies((i) => store.search('incidents', { using: 'signature', vector: queries[i % 1000], limit: 10 }), 1000);
  fig('rag.search_p50_ms', lat.p50, 'ms');
  fig('rag.search_p99_ms', lat.p99, 'ms');
  const filtered = await asyncLatencies(
    (i) => store.search('incidents', { using: 'signature', vector: queries[i % 1000], limit: 10, filter: { must: [{ key: 'component', match: { value: `svc-${i % 200}` } }] } }),
    500,
  );
  fig('rag.search_filtered_p50_ms', filtered.p50, 'ms');
  fig('rag.search_filtered_p99_ms', filtered.p99, 'ms');

  let hit = 0;
  const recallQueries = 500;
  for (let i = 0; i < recallQueries; i++) {
    const approx = await store.search('incidents', { using: 'signature', vector: queries[i], limit: 10, withPayload: false });
    const exact = new Set((await store.search('incidents', { using: 'signature', vector: queries[i], limit: 10, withPayload: false, exact: true })).map((h) => h.id));
    hit += approx.filter((h) => exact.has(h.id)).length;
  }
  fig('rag.recall_at_10', hit / (recallQueries * 10), 'ratio');

  const questions: string[] = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../eval/rag/runbook-questions.json'), 'utf8')).questions.map((q: { q: string }) => q.q);
  const encoded = questions.map((q) => ({ dense: embedder.embedOne(q), sparse: sparse.encodeQuery(q) }));
  let rbHit = 0;
  for (const e of encoded) {
    const approx = await store.search('runbooks', { using: 'dense', vector: e.dense, limit: 10, withPayload: false });
    const exact = new Set((await store.search('runbooks', { using: 'dense', vector: e.dense, limit: 10, withPayload: false, exact: true })).map((h) => h.id));
    rbHit += approx.filter((h) => exact.has(h.id)).length;
  }
  fig('rag.runbook_dense_recall_at_10', rbHit / (encoded.length * 10), 'ratio');
  const hybrid = await asyncLatencies(
    (i) =>
      store.hybridSearch('runbooks', {
        prefetch: [
          { using: 'text', vector: encoded[i % encoded.length].sparse, limit: 20 },
          { using: 'dense', vector: encoded[i % encoded.length].dense, limit: 20 },
        ],
        limit: 5,
      }),
    500,
  );
  fig('rag.runbook_hybrid_search_p50_ms', hybrid.p50, 'ms');
  fig('rag.runbook_hybrid_search_p99_ms', hybrid.p99, 'ms');
  const embedQuery = latencies((i) => {
    embedder.embedOne(questions[i % questions.length]);
    sparse.encodeQuery(questions[i % questions.length]);
  }, 500);
  fig('rag.query_encode_p50_ms', embedQuery.p50, 'ms');

  fig('rag.load_average_1m', os.loadavg()[0], 'load');
  await store.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
  return figures;
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? dirBytes(p) : fs.statSync(p).size;
  }
  return total;
}

runWhenMain(module, run);
