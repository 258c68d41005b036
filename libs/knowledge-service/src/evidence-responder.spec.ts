import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { Bus } from '@x0/bus';
import { HashedNgramEmbedder, type TextEmbedder } from '@x0/embeddings';
import { KnowledgeBase } from '@x0/knowledge-base';
import { EmbeddedVectorStore } from '@x0/vector-store';
import { Anomaly, EvidenceBatchRequest, EvidenceRequest } from '@x0/contracts';
import { EvidenceResponder } from './evidence-responder';

describe('EvidenceResponder - batch requests', () => {
  const kb = {
    searchIncidents: async () => [],
    embedQuery: async () => new Float32Array(256),
    searchRunbooks: async (query: string) => [{ id: `rb:${query}`, title: 'T', headings: [], source: 's.md', text: 'x', score: 1, cause: '', actions: [], runbookActions: [] }],
  } as unknown as KnowledgeBase;
  const responder = new EvidenceResponder({ bus: {} as Bus, kb, logger: pino({ level: 'silent' }), cacheMs: 0 });

  it('answerBatch - one response per request, in order', async () => {
    const req = EvidenceBatchRequest.encode({
      requests: ['cpu_saturation', 'memory_leak', 'disk_full'].map((cause) => ({ anomaly: Anomaly.fromPartial({ kind: 'web' }), cause, maxIncidents: 5, maxRunbooks: 1 })),
    }).finish();
    const res = await responder.answerBatch(req);
    expect(res.error).toBe('');
    expect(res.responses.map((r) => r.runbooks[0].id)).toEqual(['rb:cpu saturation web', 'rb:memory leak web', 'rb:disk full web']);
  });

  it('answerBatch - a malformed batch is answered with an error, not thrown', async () => {
    const res = await responder.answerBatch(new Uint8Array([0x0a, 0xff, 0xff, 0xff]));
    expect(res.responses).toEqual([]);
    expect(res.error).toMatch(/^not an EvidenceBatchRequest: /);
  });
});

describe('EvidenceResponder - a re-announced incident', () => {
  it('answer - similar incidents leave out the records of the anomaly\'s own incident; what was tried on it comes from its records', async () => {
    const searched: Array<{ excludeIds?: readonly string[]; excludeIncident?: string }> = [];
    const kb = {
      searchIncidents: async (_sig: unknown, o: { excludeIds?: readonly string[]; excludeIncident?: string }) => (searched.push(o), []),
      embedQuery: async () => new Float32Array(256),
      searchRunbooks: async () => [],
    } as unknown as KnowledgeBase;
    const asked: string[] = [];
    const incidents = { tried: (id: string) => (asked.push(id), [{ action: 'throttle', attempts: 3, recovered: 0, lastMs: 1000 }]) };
    const responder = new EvidenceResponder({ bus: {} as Bus, kb, logger: pino({ level: 'silent' }), cacheMs: 0, incidents });
    const announce = (id: string, incidentId: string, announcement: number) =>
      EvidenceRequest.encode({ anomaly: Anomaly.fromPartial({ meta: { id }, kind: 'queue', signature: [0.1, 0.2], incidentId, announcement }), cause: '', maxIncidents: 5, maxRunbooks: 1 }).finish();

    const res = await responder.answer(announce('an_5', 'an_1', 5));
    expect(searched[0]).toMatchObject({ excludeIds: ['an_5'], excludeIncident: 'an_1' });
    expect(res.tried).toEqual([{ action: 'throttle', attempts: 3, recovered: 0, lastMs: 1000 }]);
    expect(asked).toEqual(['an_1']);

    // The first announcement (or one from an older monitor, which names no incident) continues nothing.
    const first = await responder.answer(announce('an_1', 'an_1', 1));
    const older = await responder.answer(announce('an_9', '', 0));
    expect([first.tried, older.tried]).toEqual([[], []]);
    expect(searched.slice(1).map((o) => o.excludeIncident)).toEqual(['an_1', 'an_9']);
    expect(asked).toEqual(['an_1']);
  });
});

describe('EvidenceResponder - embedder down', () => {
  it('answers with lexical search when hybrid search fails (the embedder is unreachable), and says so in the log', async () => {
    const modes: Array<string | undefined> = [];
    const kb = {
      searchIncidents: async () => [],
      embedQuery: async () => {
        throw new Error('embeddings endpoint unreachable: connect ECONNREFUSED');
      },
      searchRunbooks: async (query: string, o: { mode?: string }) => {
        modes.push(o.mode);
        if (o.mode !== 'lexical') throw new Error('embeddings endpoint unreachable: connect ECONNREFUSED');
        return [{ id: `rb:${query}`, title: 'T', headings: [], source: 's.md', text: 'x', score: 1, cause: '', actions: [], runbookActions: [] }];
      },
    } as unknown as KnowledgeBase;
    const logs: Array<{ msg: string; err?: string }> = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    const responder = new EvidenceResponder({ bus: {} as Bus, kb, logger, cacheMs: 0 });
    const req = EvidenceBatchRequest.encode({ requests: [{ anomaly: Anomaly.fromPartial({ kind: 'web' }), cause: 'disk_full', maxIncidents: 5, maxRunbooks: 1 }] }).finish();
    const res = await responder.answerBatch(req);
    expect(res.responses[0].error).toBe('');
    expect(res.responses[0].runbooks.map((r) => r.id)).toEqual(['rb:disk full web']);
    expect(modes).toContain('lexical');
    expect(logs.map((l) => l.msg)).toContain('hybrid runbook search failed; lexical search instead');
    expect(logs[0].err).toMatch(/ECONNREFUSED/);
  });
});

describe('EvidenceResponder - query embedding', () => {
  let dir: string;
  let store: EmbeddedVectorStore;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'x0-evidence-'));
    store = new EmbeddedVectorStore({ dataDir: dir, durability: 'none' });
    await store.start();
  });
  afterAll(async () => {
    await store.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answer - a query with a suspected cause is embedded once for both searches (its cause and any), one endpoint call instead of two', async () => {
    const base = new HashedNgramEmbedder();
    const embedded: string[][] = [];
    const embedder: TextEmbedder = { id: base.id, dim: base.dim, embed: (texts) => (embedded.push([...texts]), base.embed(texts)) };
    const kb = new KnowledgeBase({ store, embedder });
    await kb.ingestRunbook('disk-full.md', '---\ncause: disk_full\n---\n# Disk full\nFree space on the volume, then restart the writer.\n');
    await kb.ingestRunbook('web-latency.md', '---\ncause: latency_spike\n---\n# Web latency\nA slow web tier: scale_up when the disk is not full.\n');
    embedded.length = 0;
    const responder = new EvidenceResponder({ bus: {} as Bus, kb, logger: pino({ level: 'silent' }), cacheMs: 60_000 });
    const req = EvidenceRequest.encode({ anomaly: Anomaly.fromPartial({ kind: 'web' }), cause: 'disk_full', maxIncidents: 5, maxRunbooks: 2 }).finish();

    const res = await responder.answer(req);
    expect(res.error).toBe('');
    expect(res.runbooks.map((r) => r.source)).toEqual(['disk-full.md', 'web-latency.md']);
    expect(embedded).toEqual([['disk full web']]);
    // Answered from the cache: no embedding at all.
    await responder.answer(req);
    expect(embedded).toHaveLength(1);
  });
});
