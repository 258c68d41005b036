/**
 * Model registry benchmark: how long a promotion takes to reach the serving replicas.
 *
 *   npx tsx tools/bench/models.bench.ts
 *
 * Starts a real nats-server (JetStream, temp store), registers two versions of a detector-
 * sized tfjs model (the monitor's forecaster shape, 1,345 parameters) and runs three serving
 * replicas, each on its own NATS connection with a `ServedModel` (@x0/model-serving) — what
 * the monitor and execute use to hot-swap. Then it moves `champion` between the versions
 * 20 times (after 3 warm-up moves) and times each from the call to `promote()` until every
 * replica *serves* the new version: the alias watch fired, the artifacts were read from
 * the Object Store, the model was built and swapped in.
 *
 * - models.promotion_propagation_ms: median over the moves of that time (slowest replica).
 * - models.promotion_propagation_max_ms: the slowest move.
 * - models.alias_watch_ms: median time from promote() to the first replica's watch callback
 *   (the notification alone, before loading).
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import * as tf from '@tensorflow/tfjs';
import { connectBus, provisionStreams } from '@x0/bus';
import { startNatsServer } from '@x0/bus/testing';
import { quantileSorted } from '@x0/core';
import { selectBackend } from '@x0/lora';
import { createModelRegistry } from '@x0/model-registry';
import { ServedModel } from '@x0/model-serving';

export interface BenchResult {
  bench: string;
  value: number;
  unit: string;
}

const WARMUP = 3;
const PROMOTIONS = 20;
const REPLICAS = 3;

function forecaster(seed: number): tf.Sequential {
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed * 10 + k });
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [24], units: 32, activation: 'relu', kernelInitializer: init(1) }),
      tf.layers.dense({ units: 16, activation: 'tanh', kernelInitializer: init(2) }),
      tf.layers.dense({ units: 1, kernelInitializer: init(3) }),
    ],
  });
}

export async function run(): Promise<BenchResult[]> {
  await selectBackend();
  const server = await startNatsServer();
  const bus = await connectBus({ url: server.url, name: 'models-bench' });
  const conns: NatsConnection[] = [];
  const replicas: ServedModel<tf.LayersModel>[] = [];
  try {
    await provisionStreams(bus.jsm);
    const registry = await createModelRegistry({ nc: bus.nc });
    for (const v of ['1', '2']) await registry.register({ model: 'bench', version: v, artifacts: forecaster(Number(v)), signature: { inputShape: [24] } });
    await registry.promote('bench', '1');

    let firstNotice = 0;
    const waiters = new Set<() => void>();
    for (let i = 0; i < REPLICAS; i++) {
      const nc = await connect({ servers: server.url, name: `replica-${i}` });
      conns.push(nc);
      const own = await createModelRegistry({ nc });
      const served: ServedModel<tf.LayersModel> = new ServedModel<tf.LayersModel>({
        registry: own,
        model: 'bench',
        load: (v) => {
          if (!firstNotice) firstNotice = performance.now();
          return own.loadModel('bench', v);
        },
        dispose: (m) => m.dispose(),
        onSwap: () => waiters.forEach((w) => w()),
      });
      await served.start();
      replicas.push(served);
    }

    const propagation: number[] = [];
    const notice: number[] = [];
    for (let i = 0; i < WARMUP + PROMOTIONS; i++) {
      const version = i % 2 === 0 ? '2' : '1';
      firstNotice = 0;
      const allServing = new Promise<number>((resolve) => {
        const check = () => {
          if (replicas.every((r) => r.version === version)) {
            waiters.delete(check);
            resolve(performance.now());
          }
        };
        waiters.add(check);
      });
      const start = performance.now();
      await registry.promote('bench', version);
      const end = await allServing;
      if (i >= WARMUP) {
        propagation.push(end - start);
        notice.push(firstNotice - start);
      }
    }
    const med = (xs: number[]) => quantileSorted([...xs].sort((a, b) => a - b), 0.5);
    const round = (v: number) => Math.round(v * 100) / 100;
    return [
      { bench: 'models.promotion_propagation_ms', value: round(med(propagation)), unit: 'ms' },
      { bench: 'models.promotion_propagation_max_ms', value: round(Math.max(...propagation)), unit: 'ms' },
      { bench: 'models.alias_watch_ms', value: round(med(notice)), unit: 'ms' },
    ];
  } finally {
    for (const r of replicas) await r.stop();
    for (const nc of conns) await nc.drain();
    await bus.drain();
    await server.stop();
  }
}

if (require.main === module) {
  run().then(
    (results) => results.forEach((r) => console.log(JSON.stringify(r))),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
