/**
 * Model registry benchmark: how long a promotion takes to reach the serving replicas.
 *
 *   npx tsx tools/bench/models.bench.ts
 *
 * Starts a real nats-server (JetStream, temp store), registers two versions of the monitor's
 * forecaster (`detector`, 1,345 parameters) and runs three serving replicas the way the
 * monitor does: each on its own NATS connection, with an anomaly detector and a
 * `ServedModel` (@x0/model-serving) that loads the champion's weights and hands them to
 * `detector.setForecasterWeights()`. Then it moves `champion` between the versions 20 times
 * (after 3 warm-up moves) and times each from the call to `promote()` until every replica's
 * detector runs the new version: the alias watch fired, the artifacts were read from the
 * Object Store, converted and swapped in.
 *
 * - models.promotion_propagation_ms: median over the moves of that time (slowest replica).
 * - models.promotion_propagation_max_ms: the slowest move.
 * - models.alias_watch_ms: median time from promote() to the first replica's watch callback
 *   (the notification alone, before loading).
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import * as tf from '@tensorflow/tfjs';
import { BASE_WEIGHTS, createAnomalyDetector, type AnomalyDetector } from '@x0/anomaly';
import { connectBus, provisionStreams } from '@x0/bus';
import { startNatsServer } from '@x0/bus/testing';
import { quantileSorted } from '@x0/core';
import { selectBackend } from '@x0/lora';
import { createModelRegistry } from '@x0/model-registry';
import { DETECTOR_MODEL, forecasterModel, forecasterWeights, ServedModel, type ForecasterWeights } from '@x0/model-serving';
import { runWhenMain } from './figure';

export interface BenchResult {
  bench: string;
  value: number;
  unit: string;
}

const WARMUP = 3;
const PROMOTIONS = 20;
const REPLICAS = 3;

/** Version 1: the shipped forecaster; version 2: the same with other output weights. */
function forecaster(version: number): tf.Sequential {
  const m = forecasterModel(BASE_WEIGHTS);
  if (version > 1) {
    const [w, b] = m.layers[2].getWeights();
    const w2 = tf.mul(w, 0.9);
    m.layers[2].setWeights([w2, b]);
    w2.dispose();
  }
  return m;
}

export async function run(): Promise<BenchResult[]> {
  await selectBackend();
  const server = await startNatsServer();
  const bus = await connectBus({ url: server.url, name: 'models-bench' });
  const conns: NatsConnection[] = [];
  const replicas: Array<{ served: ServedModel<ForecasterWeights>; detector: AnomalyDetector }> = [];
  try {
    await provisionStreams(bus.jsm);
    const registry = await createModelRegistry({ nc: bus.nc });
    for (const v of ['1', '2']) await registry.register({ model: DETECTOR_MODEL, version: v, artifacts: forecaster(Number(v)), signature: { inputShape: [24] } });
    await registry.promote(DETECTOR_MODEL, '1');

    let firstNotice = 0;
    const waiters = new Set<() => void>();
    for (let i = 0; i < REPLICAS; i++) {
      const nc = await connect({ servers: server.url, name: `replica-${i}` });
      conns.push(nc);
      const own = await createModelRegistry({ nc });
      const detector = await createAnomalyDetector();
      const served: ServedModel<ForecasterWeights> = new ServedModel<ForecasterWeights>({
        registry: own,
        model: DETECTOR_MODEL,
        load: async (v) => {
          if (!firstNotice) firstNotice = performance.now();
          const m = await own.loadModel(DETECTOR_MODEL, v);
          try {
            return forecasterWeights(m, v);
          } finally {
            m.dispose();
          }
        },
        onSwap: () => {
          detector.setForecasterWeights(served.current!);
          waiters.forEach((w) => w());
        },
      });
      await served.start();
      replicas.push({ served, detector });
    }

    const propagation: number[] = [];
    const notice: number[] = [];
    for (let i = 0; i < WARMUP + PROMOTIONS; i++) {
      const version = i % 2 === 0 ? '2' : '1';
      firstNotice = 0;
      const allServing = new Promise<number>((resolve) => {
        const check = () => {
          if (replicas.every((r) => r.detector.info.modelVersion.endsWith(`-${version}`))) {
            waiters.delete(check);
            resolve(performance.now());
          }
        };
        waiters.add(check);
      });
      const start = performance.now();
      await registry.promote(DETECTOR_MODEL, version);
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
    for (const r of replicas) {
      await r.served.stop();
      r.detector.dispose();
    }
    for (const nc of conns) await nc.drain();
    await bus.drain();
    await server.stop();
  }
}

runWhenMain(module, run);
