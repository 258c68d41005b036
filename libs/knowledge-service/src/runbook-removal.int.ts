/**
 * Removing runbooks over gRPC (DeleteDocument), against a real nats-server and the embedded
 * vector store: a removed runbook leaves Search and the analyze phase's evidence answers at
 * once (cached answers included), stays removed across a restart — also one the runbook folder
 * holds — and comes back when it is ingested again.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { connectBus, provisionStreams, type Bus } from '@x0/bus';
import { startNatsServer, type NatsServerProcess } from '@x0/bus/testing';
import {
  Anomaly,
  EvidenceRequest,
  EvidenceResponse,
  KNOWLEDGE_EVIDENCE_SUBJECT,
  KnowledgeServiceClient,
  Severity,
  type DeleteDocumentRequest,
  type DeleteDocumentResponse,
  type IngestDocumentRequest,
  type IngestDocumentResponse,
  type SearchRequest,
  type SearchResponse,
} from '@x0/contracts';
import { runService, type ServiceHandle } from '@x0/service-kit';
import { knowledgeService } from './knowledge-service';

const RUNBOOKS = path.resolve(__dirname, '../../../deploy/runbooks');
const DISK_QUESTION = 'No space left on device when writing files';

type Unary<Req, Res> = (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => grpc.ClientUnaryCall;
function call<Req, Res>(client: KnowledgeServiceClient, method: Unary<Req, Res>, req: Req): Promise<Res> {
  return new Promise((resolve, reject) => method.call(client, req, (err, res) => (err ? reject(err) : resolve(res))));
}

describe('knowledge service - removing runbooks', () => {
  let nats: NatsServerProcess;
  let bus: Bus;
  let handle: ServiceHandle;
  let client: KnowledgeServiceClient;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'x0-kb-rm-'));

  const start = async () => {
    handle = await runService(knowledgeService, {
      env: {
        NATS_URL: nats.url,
        GRPC_HOST: '127.0.0.1',
        GRPC_PORT: '0',
        METRICS_PORT: '0',
        LOG_LEVEL: 'silent',
        X0_DATA_DIR: dataDir,
        KNOWLEDGE_FSYNC: 'false',
        KNOWLEDGE_RUNBOOKS_DIR: RUNBOOKS,
        // Long enough that a stale answer would be served if removal did not clear the cache.
        KNOWLEDGE_RUNBOOK_CACHE_S: '3600',
      },
      handleSignals: false,
    });
    client = new KnowledgeServiceClient(`127.0.0.1:${handle.grpcPort}`, grpc.credentials.createInsecure());
  };
  const stop = async () => {
    client?.close();
    await handle?.stop();
  };
  const sources = async (text: string) =>
    (await call<SearchRequest, SearchResponse>(client, client.search, { collection: 'runbooks', text, vector: [], limit: 100, component: '', kind: '' })).hits.map((h) => h.payload['source']);
  const remove = (source: string) => call<DeleteDocumentRequest, DeleteDocumentResponse>(client, client.deleteDocument, { source });
  const ingest = (source: string, text: string) => call<IngestDocumentRequest, IngestDocumentResponse>(client, client.ingestDocument, { source, text });
  /** The runbook sources of the evidence analyze gets for a disk that fills up. */
  const evidenceSources = async () => {
    const anomaly = Anomaly.fromPartial({
      meta: { id: 'an_disk', component: 'db-1', timeMs: Date.now(), source: 'test' },
      score: 0.9,
      severity: Severity.SEVERITY_HIGH,
      metrics: [{ metric: 'disk_used_ratio', value: 0.99, expected: 0.6, score: 0.95 }],
      kind: 'db',
    });
    const req = EvidenceRequest.encode({ anomaly, cause: 'disk_full', maxIncidents: 0, maxRunbooks: 3 }).finish();
    const res = EvidenceResponse.decode((await bus.nc.request(KNOWLEDGE_EVIDENCE_SUBJECT, req, { timeout: 5_000 })).data);
    expect(res.error).toBe('');
    return res.runbooks.map((r) => r.source);
  };

  beforeAll(async () => {
    nats = await startNatsServer();
    bus = await connectBus({ url: nats.url, name: 'runbook-removal-test' });
    await provisionStreams(bus.jsm);
    await start();
  }, 60_000);

  afterAll(async () => {
    await stop();
    await bus?.drain();
    await nats?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('remove - a folder runbook leaves Search and the evidence answers at once; unknown and empty sources are refused', async () => {
    expect((await sources(DISK_QUESTION))[0]).toBe('disk-full.md');
    expect(await evidenceSources()).toContain('disk-full.md');

    const { chunks } = await remove('disk-full.md');
    expect(chunks).toBeGreaterThan(1);
    expect(await sources(DISK_QUESTION)).not.toContain('disk-full.md');
    expect(await sources('disk full ENOSPC inode')).not.toContain('disk-full.md');
    // The same evidence request again: answered afresh, not from the cache.
    expect(await evidenceSources()).not.toContain('disk-full.md');

    await expect(remove('disk-full.md')).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
      details: "runbook 'disk-full.md' not found: it is not in the knowledge base (never added, or removed already); x0 kb search shows the runbooks it has, in brackets",
    });
    await expect(remove('nosuch.md')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    await expect(remove('disk-full')).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
      details: "runbook 'disk-full' not found: a runbook is named by its file name, e.g. disk-full.md (x0 kb search shows it in brackets)",
    });
    await expect(remove(' ')).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: "'source' must not be empty" });
  }, 60_000);

  it('ingest - a source with a folder in it is refused (x0 kb rm, which takes a path to its file name, could never remove it)', async () => {
    const text = '# Gull swarm\n\nGulls peck the zqgull cables; use `failover`.\n';
    for (const source of ['runbooks/gull.md', 'runbooks\\gull.md']) {
      await expect(ingest(source, text)).rejects.toMatchObject({
        code: grpc.status.INVALID_ARGUMENT,
        details: `'source' must be a file name like disk-full.md, not a path: got '${source}' (a runbook is named by its file name; x0 kb rm takes it so)`,
      });
    }
    const found = await sources('zqgull cables');
    expect(found.filter((s) => s.includes('gull'))).toEqual([]);
  }, 60_000);

  it('restart - removed runbooks stay removed (the folder one is left out of the load); ingested again, one comes back for good', async () => {
    const walrus = '# Walrus stampede\n\nThe walrus herd tramples the quorum; use `failover`.\n';
    expect((await ingest('walrus.md', walrus)).chunks).toBe(1);
    expect((await sources('walrus herd tramples the quorum'))[0]).toBe('walrus.md');
    expect((await remove('walrus.md')).chunks).toBe(1);

    await stop();
    await start();
    expect(await sources('walrus herd tramples the quorum')).not.toContain('walrus.md');
    expect(await sources(DISK_QUESTION)).not.toContain('disk-full.md');
    expect(await evidenceSources()).not.toContain('disk-full.md');
    // The folder's other runbooks are loaded as before.
    expect((await sources('heap grows until the process is OOM-killed'))[0]).toBe('memory-leak.md');

    await ingest('disk-full.md', fs.readFileSync(path.join(RUNBOOKS, 'disk-full.md'), 'utf8'));
    expect((await sources(DISK_QUESTION))[0]).toBe('disk-full.md');
    await stop();
    await start();
    expect((await sources(DISK_QUESTION))[0]).toBe('disk-full.md');
    expect(await evidenceSources()).toContain('disk-full.md');
  }, 90_000);
});
