import * as grpc from '@grpc/grpc-js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { NotFoundError } from '@x0/core';
import { connectBus, ConsumerLoop, publishMessage, type HandleResult } from '@x0/bus';
import { startNatsServer, waitFor, type NatsServerProcess } from '@x0/bus/testing';
import { AnalyzeServiceClient, AnalyzeServiceService, STREAMS, type AnalyzeServiceServer, type Statistics } from '@x0/contracts';
import { checkHealth, listServicesByReflection } from './grpc-probes';
import { ConfigError } from './config';
import { runService, type ServiceModule } from './service-host';

const testModule: ServiceModule<{ GREETING: z.ZodDefault<z.ZodString> }> = {
  name: 'analyze',
  configShape: { GREETING: z.string().default('hi') },
  create(ctx) {
    const loop = new ConsumerLoop({
      bus: ctx.bus,
      service: 'analyze',
      stream: STREAMS.events.name,
      filterSubject: 'x0.events.anomaly.>',
      decode: (d) => d,
      observer: ctx.stats,
      handleBatch: (items) => items.map((): HandleResult => ({ type: 'ok' })),
    });
    ctx.serve<AnalyzeServiceServer>('x0.v1.AnalyzeService', AnalyzeServiceService, {
      getStatistics: () => ctx.stats.toProto(),
      explain: (req) => {
        throw new NotFoundError('diagnosis', req.diagnosisId);
      },
    });
    return { start: () => loop.start(), stop: () => loop.stop() };
  },
};

describe('service host', () => {
  let nats: NatsServerProcess;
  beforeAll(async () => {
    nats = await startNatsServer();
  });
  afterAll(() => nats.stop());

  const env = () => ({ NATS_URL: nats.url, GRPC_PORT: '0', METRICS_PORT: '0', GRPC_HOST: '127.0.0.1', LOG_LEVEL: 'silent' });

  it('runService - health, reflection, a real RPC, statistics, /metrics, then a clean stop', async () => {
    const handle = await runService(testModule, { env: env(), handleSignals: false });
    const address = `127.0.0.1:${handle.grpcPort}`;
    expect(await checkHealth(address)).toBe('SERVING');
    expect(await checkHealth(address, 'x0.v1.AnalyzeService')).toBe('SERVING');
    expect(await checkHealth(address, 'x0.v1.Nope')).toBe('SERVICE_UNKNOWN');
    expect(await listServicesByReflection(address)).toEqual(
      ['grpc.health.v1.Health', 'x0.v1.AnalyzeService'],
    );

    // A real message through the consumer shows up in the statistics.
    const bus = await connectBus({ url: nats.url, name: 'pub' });
    await publishMessage(bus.js, { subject: 'x0.events.anomaly.c1', data: new Uint8Array([1]), id: 'a-1' });
    await bus.drain();

    const client = new AnalyzeServiceClient(address, grpc.credentials.createInsecure());
    let stats: Statistics | undefined;
    for (let i = 0; i < 100 && !(stats && stats.messagesIn >= 1); i++) {
      stats = await new Promise<Statistics>((resolve, reject) => client.getStatistics({}, (err, res) => (err ? reject(err) : resolve(res))));
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(stats).toMatchObject({ service: 'analyze', messagesIn: 1 });

    const err = await new Promise<grpc.ServiceError>((resolve) => client.explain({ diagnosisId: 'dg_x' }, (e) => resolve(e!)));
    expect(err.code).toBe(grpc.status.NOT_FOUND);
    expect(err.details).toBe("diagnosis 'dg_x' not found");
    client.close();

    const metrics = await fetch(`http://127.0.0.1:${handle.metricsPort}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/x0_messages_in_total\{service="analyze"\} 1/);
    expect((await fetch(`http://127.0.0.1:${handle.metricsPort}/readyz`)).status).toBe(200);

    await handle.stop();
    await handle.stop();
    expect(await checkHealth(address, '', 500)).toMatch(/^UNREACHABLE/);
  });

  it('runService - a bad env var stops start-up with a message naming it', async () => {
    await expect(runService(testModule, { env: { ...env(), GRPC_PORT: 'nope' }, handleSignals: false })).rejects.toThrow(ConfigError);
    await expect(runService(testModule, { env: { ...env(), GRPC_PORT: 'nope' }, handleSignals: false })).rejects.toThrow('GRPC_PORT must be an integer (got "nope")');
  });

  it('runService - not ready (/readyz 503, health NOT_SERVING) while NATS is down, ready again once it is back', async () => {
    const storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'x0-readyz-'));
    let own = await startNatsServer({ storeDir });
    const port = own.port;
    const handle = await runService(testModule, { env: { ...env(), NATS_URL: own.url }, handleSignals: false });
    // A second client with the service's reconnect policy (connectBus): its 'reconnecting'
    // status, one per attempt, shows when reconnect attempts have failed.
    const watcher = await connectBus({ url: own.url, name: 'watcher' });
    let reconnectAttempts = 0;
    void (async () => {
      for await (const s of watcher.nc.status()) if (s.type === 'reconnecting') reconnectAttempts++;
    })();
    try {
      const address = `127.0.0.1:${handle.grpcPort}`;
      const readyz = async () => {
        const r = await fetch(`http://127.0.0.1:${handle.metricsPort}/readyz`);
        return { status: r.status, body: await r.text() };
      };
      expect(await readyz()).toEqual({ status: 200, body: 'ready\n' });
      expect(await checkHealth(address)).toBe('SERVING');

      await own.stop();
      const down = await waitFor(async () => {
        const r = await readyz();
        return r.status === 503 ? r : undefined;
      }, 10_000, '/readyz 503');
      const m = /^not ready: NATS disconnected since (\S+)\n$/.exec(down.body);
      expect(m).not.toBeNull();
      expect(Number.isNaN(Date.parse(m![1]))).toBe(false);
      expect(await checkHealth(address)).toBe('NOT_SERVING');
      expect(await checkHealth(address, 'x0.v1.AnalyzeService')).toBe('NOT_SERVING');
      expect((await fetch(`http://127.0.0.1:${handle.metricsPort}/healthz`)).status).toBe(200);
      // Still not ready once reconnect attempts have failed (the second attempt starts after the first failed).
      await waitFor(() => (reconnectAttempts >= 2 ? true : undefined), 10_000, 'two reconnect attempts');
      expect((await readyz()).status).toBe(503);

      own = await startNatsServer({ port, storeDir });
      await waitFor(async () => ((await readyz()).status === 200 ? true : undefined), 15_000, '/readyz 200 after reconnect');
      expect(await readyz()).toEqual({ status: 200, body: 'ready\n' });
      expect(await checkHealth(address)).toBe('SERVING');
      expect(await checkHealth(address, 'x0.v1.AnalyzeService')).toBe('SERVING');
    } finally {
      await watcher.nc.close();
      await handle.stop();
      await own.stop();
      fs.rmSync(storeDir, { recursive: true, force: true });
    }
  }, 40_000);
});
