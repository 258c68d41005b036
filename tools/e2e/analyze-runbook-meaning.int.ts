/**
 * Analyze cites runbooks found the way `x0 kb search` finds them (hybrid: BM25 + dense), so a
 * runbook that shares no word with the anomaly's cause and metric names, but means the same,
 * is cited. Real nats-server, knowledge and analyze services; the dense embeddings come from
 * a small OpenAI-compatible endpoint on 127.0.0.1 that embeds by concept (as a semantic model
 * would: "resident footprint swells" and "memory leak" land together), configured through
 * EMBEDDINGS_URL as an operator would configure one.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { connectBus, provisionStreams, type Bus } from '@x0/bus';
import { publishEvent, readEvents, startNatsServer, waitFor, type NatsServerProcess } from '@x0/bus/testing';
import { Anomaly, EvidenceRequest, KnowledgeServiceClient, Severity, type IngestDocumentRequest, type IngestDocumentResponse } from '@x0/contracts';
import { createAnalyzeService } from '@x0/analyze-service';
import { terms } from '@x0/embeddings';
import { knowledgeService, runbookQuery } from '@x0/knowledge-service';
import { runService, type ServiceHandle } from '@x0/service-kit';

/** Concepts of the toy semantic embedder: a word counts for the concept one of whose stems it starts with. */
const CONCEPTS = [
  ['memory', 'heap', 'leak', 'ram', 'resident', 'footprint', 'swell', 'oom', 'bloat', 'rss'],
  ['disk', 'space', 'volume', 'inode', 'storage'],
  ['certificate', 'tls', 'expir', 'renew', 'browser'],
  ['dns', 'packet', 'route', 'resolution'],
  ['cpu', 'processor', 'saturat', 'throttl'],
];

/** Vector length (the knowledge service takes at least 8). */
const DIM = 8;

/** One dimension per concept, and a small constant one so no text embeds to zero. */
function embed(text: string): number[] {
  const v = Array.from({ length: DIM }, (_, i) => (i === DIM - 1 ? 0.1 : 0));
  for (const word of text.toLowerCase().split(/[^a-z]+/)) {
    const c = CONCEPTS.findIndex((stems) => stems.some((s) => word.startsWith(s)));
    if (c >= 0) v[c]++;
  }
  return v;
}

const TARGET = {
  source: 'worker-bloat.md',
  text: '# Worker bloat\n\nThe resident footprint swells for hours until the OOM killer ends the process.\n\n## Remediation\n\nRecycle the worker: `restart` it.\n',
};
/** Runbooks about other things; the first two share a word with the memory anomaly's query ("web", "used"). */
const OTHERS = [
  { source: 'web-certificate.md', text: '# Web certificate expiry\n\nThe web site certificate expired; browsers refuse the page. Renew it, then `restart`.\n' },
  { source: 'disk-space.md', text: '# Disk space\n\nThe volume is full: every inode used up. `clear_cache`.\n' },
  { source: 'dns.md', text: '# DNS outage\n\nName resolution fails; packets are dropped on the route. `failover`.\n' },
  { source: 'cpu.md', text: '# CPU saturation\n\nThe processor is saturated. `throttle`.\n' },
];

describe('analyze cites runbooks found by meaning', () => {
  let embeddings: http.Server;
  let nats: NatsServerProcess;
  let bus: Bus;
  let knowledge: ServiceHandle;
  let analyze: ServiceHandle;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'x0-meaning-'));

  beforeAll(async () => {
    embeddings = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (d) => (raw += d));
      req.on('end', () => {
        const { input, model } = JSON.parse(raw) as { input: string[]; model: string };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', model, data: input.map((t, index) => ({ index, embedding: embed(t) })) }));
      });
    });
    await new Promise<void>((r) => embeddings.listen(0, '127.0.0.1', r));
    nats = await startNatsServer();
    bus = await connectBus({ url: nats.url, name: 'meaning-test' });
    await provisionStreams(bus.jsm);
    const env = {
      NATS_URL: nats.url,
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: '0',
      METRICS_PORT: '0',
      LOG_LEVEL: 'silent',
      X0_DATA_DIR: dataDir,
      KNOWLEDGE_FSYNC: 'false',
      // An empty folder: only the runbooks below (an empty value would mean the default folder).
      KNOWLEDGE_RUNBOOKS_DIR: fs.mkdtempSync(path.join(dataDir, 'runbooks-')),
      EMBEDDINGS_URL: `http://127.0.0.1:${(embeddings.address() as AddressInfo).port}`,
      EMBEDDINGS_MODEL: 'toy-concepts',
      EMBEDDINGS_DIM: String(DIM),
      ANALYZE_EVIDENCE_TIMEOUT_MS: '5000',
    };
    knowledge = await runService(knowledgeService, { env, handleSignals: false });
    analyze = await runService(createAnalyzeService(), { env, handleSignals: false });
    const client = new KnowledgeServiceClient(`127.0.0.1:${knowledge.grpcPort}`, grpc.credentials.createInsecure());
    try {
      for (const rb of [TARGET, ...OTHERS]) {
        await new Promise<IngestDocumentResponse>((resolve, reject) =>
          client.ingestDocument({ source: rb.source, text: rb.text } satisfies IngestDocumentRequest, (err, res) => (err ? reject(err) : resolve(res))),
        );
      }
    } finally {
      client.close();
    }
  }, 60_000);

  afterAll(async () => {
    await analyze?.stop();
    await knowledge?.stop();
    await bus?.drain();
    await nats?.stop();
    await new Promise<void>((r) => (embeddings ? embeddings.close(() => r()) : r()));
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('evidence - a runbook sharing no word with the anomaly, but meaning the same, is cited in its diagnosis', async () => {
    const anomaly = Anomaly.fromPartial({
      meta: { id: 'an_bloat1', parentId: 'mb_bloat1', component: 'web-7', timeMs: Date.now(), source: 'test' },
      score: 0.95,
      severity: Severity.SEVERITY_HIGH,
      metrics: [{ metric: 'heap_used_mb', value: 3000, expected: 1000, score: 0.97 }],
      kind: 'web',
    });
    // What analyze asks knowledge with, and proof that BM25 alone cannot find the runbook: not one term in common.
    const query = runbookQuery(EvidenceRequest.fromPartial({ anomaly, cause: 'memory_leak' }));
    expect(query).toBe('memory leak heap used mb web');
    const shared = terms(query).filter((t) => terms(`Worker bloat / Remediation ${TARGET.text}`).includes(t));
    expect(shared).toEqual([]);

    await publishEvent(bus, 'anomaly', anomaly);
    const d = await waitFor(async () => (await readEvents(bus, 'diagnosis')).find((x) => x.meta!.parentId === 'an_bloat1'), 15_000, 'the diagnosis');
    expect(d.probableCause).toBe('memory_leak');
    const runbooks = d.citations.filter((c) => c.kind === 'runbook');
    // Cited next to the two that share a word ("web", "used"), which are all BM25 alone would find.
    expect(runbooks.map((c) => c.title).sort()).toEqual(['Disk space — Disk space', 'Web certificate expiry — Web certificate expiry', 'Worker bloat — Worker bloat']);
  }, 30_000);
});
