/**
 * Model registry benchmark: how long an alias move takes to reach a watcher.
 *
 *   npx tsx tools/bench/models.bench.ts
 *
 * Starts a real nats-server (JetStream, temp store), registers two small tfjs models and
 * moves `champion` between them 20 times (after 3 warm-up moves), timing each from the
 * call to `promote()` to the moment the `watchAliases()` callback runs.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import * as tf from '@tensorflow/tfjs';
import { startNatsServer } from '@x0/bus/testing';
import { STREAMS } from '@x0/contracts';
import { quantileSorted } from '@x0/core';
import { selectBackend } from '@x0/lora';
import { createModelRegistry } from '@x0/model-registry';

export interface BenchResult {
  bench: string;
  value: number;
  unit: string;
}

const WARMUP = 3;
const PROMOTIONS = 20;

export async function run(): Promise<BenchResult[]> {
  await selectBackend();
  const server = await startNatsServer();
  const nc = await connect({ servers: server.url });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: STREAMS.events.name, subjects: [...STREAMS.events.subjects] });
    const registry = await createModelRegistry({ nc });
    const model = () => tf.sequential({ layers: [tf.layers.dense({ inputShape: [64], units: 64, activation: 'relu' }), tf.layers.dense({ units: 64 })] });
    for (const v of ['v1', 'v2']) await registry.register({ model: 'bench', version: v, artifacts: model(), signature: { inputShape: [64] } });
    await registry.promote('bench', 'v1');

    let waiting: { version: string; resolve: (t: number) => void } | undefined;
    const watch = await registry.watchAliases('bench', 'champion', (c) => {
      if (waiting && c.version === waiting.version) waiting.resolve(performance.now());
    });
    const samples: number[] = [];
    for (let i = 0; i < WARMUP + PROMOTIONS; i++) {
      const version = i % 2 === 0 ? 'v2' : 'v1';
      const seen = new Promise<number>((resolve) => (waiting = { version, resolve }));
      const start = performance.now();
      await registry.promote('bench', version);
      const ms = (await seen) - start;
      if (i >= WARMUP) samples.push(ms);
    }
    await watch.stop();
    const sorted = [...samples].sort((a, b) => a - b);
    const round = (v: number) => Math.round(v * 100) / 100;
    return [
      { bench: 'models.promotion_propagation_ms', value: round(quantileSorted(sorted, 0.5)), unit: 'ms' },
      { bench: 'models.promotion_propagation_max_ms', value: round(sorted[sorted.length - 1]), unit: 'ms' },
    ];
  } finally {
    await nc.drain();
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
