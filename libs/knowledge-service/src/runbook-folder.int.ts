/**
 * The runbook folder loaded at start (KNOWLEDGE_RUNBOOKS_DIR), against a real nats-server and
 * the embedded vector store: one runbook the knowledge base refuses does not keep the service
 * from starting, and the others are searchable.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { connectBus, provisionStreams, type Bus } from '@x0/bus';
import { startNatsServer, type NatsServerProcess } from '@x0/bus/testing';
import { KnowledgeServiceClient, type SearchRequest, type SearchResponse } from '@x0/contracts';
import { runService, type ServiceHandle } from '@x0/service-kit';
import { knowledgeService } from './knowledge-service';

describe('knowledge service - the runbook folder', () => {
  let nats: NatsServerProcess;
  let bus: Bus;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'x0-kb-folder-data-'));
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'x0-kb-folder-'));

  beforeAll(async () => {
    nats = await startNatsServer();
    bus = await connectBus({ url: nats.url, name: 'runbook-folder-test' });
    await provisionStreams(bus.jsm);
  }, 60_000);

  /** The knowledge service on the test's nats-server, data folder and runbook folder. */
  const start = () =>
    runService(knowledgeService, {
      env: { NATS_URL: nats.url, GRPC_HOST: '127.0.0.1', GRPC_PORT: '0', METRICS_PORT: '0', LOG_LEVEL: 'silent', X0_DATA_DIR: dataDir, KNOWLEDGE_FSYNC: 'false', KNOWLEDGE_RUNBOOKS_DIR: folder },
      handleSignals: false,
    });

  /** The runbooks (sources) a search of `text` finds, over gRPC. */
  const sourcesOf = async (handle: ServiceHandle, text: string) => {
    const client = new KnowledgeServiceClient(`127.0.0.1:${handle.grpcPort}`, grpc.credentials.createInsecure());
    try {
      const res = await new Promise<SearchResponse>((resolve, reject) =>
        client.search({ collection: 'runbooks', text, vector: [], limit: 10, component: '', kind: '' } satisfies SearchRequest, (err, r) => (err ? reject(err) : resolve(r))),
      );
      return new Set(res.hits.map((h) => h.payload['source']));
    } finally {
      client.close();
    }
  };

  afterAll(async () => {
    await bus?.drain();
    await nats?.stop();
    for (const d of [dataDir, folder]) fs.rmSync(d, { recursive: true, force: true });
  });

  it('start - a runbook with bad front matter is left out and the service starts with the others (it failed to start)', async () => {
    fs.writeFileSync(path.join(folder, 'a-alpha.md'), '---\ncause: disk_full\n---\n# Alpha\n\nalpha zqwalpha text.\n');
    fs.writeFileSync(path.join(folder, 'b-beta.md'), '---\ncause: disk_full\nactions: [reboot]\n---\n# Beta\n\nbeta zqwbeta text.\n');
    fs.writeFileSync(path.join(folder, 'c-gamma.md'), '---\ncause: disk_full\n---\n# Gamma\n\ngamma zqwgamma text.\n');
    const handle: ServiceHandle = await start();
    try {
      const sources = await sourcesOf(handle, 'zqwalpha zqwbeta zqwgamma text');
      expect([...sources].sort()).toEqual(['a-alpha.md', 'c-gamma.md']);
    } finally {
      await handle.stop();
    }
  }, 60_000);

  it('restart - a runbook loaded before and refused now is not searched in its earlier version (its cause is now a typo of a known one)', async () => {
    fs.writeFileSync(path.join(folder, 'd-delta.md'), '---\ncause: disk_full\n---\n# Delta\n\ndelta zqwdelta text.\n');
    let handle = await start();
    expect(await sourcesOf(handle, 'zqwdelta')).toContain('d-delta.md');
    await handle.stop();
    fs.writeFileSync(path.join(folder, 'd-delta.md'), '---\ncause: disk_ful\n---\n# Delta\n\ndelta zqwdelta text.\n');
    handle = await start();
    try {
      expect(await sourcesOf(handle, 'zqwdelta')).not.toContain('d-delta.md');
      expect(await sourcesOf(handle, 'zqwalpha')).toContain('a-alpha.md');
    } finally {
      await handle.stop();
    }
  }, 60_000);
});
