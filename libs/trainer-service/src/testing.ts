/** Test helpers for the trainer: a detector base trained on given series, and a trainer under test. */
import * as tf from '@tensorflow/tfjs';
import { connectBus, provisionStreams, type Bus } from '@x0/bus';
import { startNatsServer, type NatsServerProcess } from '@x0/bus/testing';
import * as grpc from '@grpc/grpc-js';
import { TrainerServiceClient, type TrainerServiceServer } from '@x0/contracts';
import { createModelRegistry, type ModelRegistry } from '@x0/model-registry';
import { forecasterModel, forecasterWeights, type ForecasterWeights } from '@x0/model-serving';
import { runService, type ServiceHandle } from '@x0/service-kit';
import type { DetectorBase } from './detector-trainable';
import { fitForecaster, type ForecastSet } from './forecast-data';
import { createTrainerService } from './trainer-service';

const CLIP = 8;

/**
 * The detector's window normalisation (centre = last value, spread = standard deviation,
 * clipped to ±8), for tests that run without @x0/anomaly's bundled base.
 */
export function testNormalise(windows: Float32Array, count: number, L: number, out: Float32Array, center: Float64Array, spread: Float64Array): void {
  for (let i = 0; i < count; i++) {
    let sum = 0;
    let sq = 0;
    for (let j = 0; j < L; j++) {
      const v = windows[i * L + j];
      sum += v;
      sq += v * v;
    }
    const mean = sum / L;
    const c = windows[i * L + L - 1];
    const s = Math.max(Math.sqrt(Math.max(0, sq / L - mean * mean)), 1e-6 * (Math.abs(mean) + 1e-3));
    center[i] = c;
    spread[i] = s;
    for (let j = 0; j < L; j++) out[i * L + j] = Math.max(-CLIP, Math.min(CLIP, (windows[i * L + j] - c) / s));
  }
}

/** A forecaster base (L 24, H 32, F 16) fitted on `series` for a few epochs: a stand-in for the shipped one. */
export async function trainedTestBase(series: readonly number[][], epochs = 4): Promise<DetectorBase> {
  const L = 24;
  const init = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [L], units: 32, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.dense({ units: 16, activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
      tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
    ],
  });
  const weights0 = forecasterWeights(init, 'test');
  init.dispose();
  const model = forecasterModel(weights0);
  const rows = series.flatMap((s) => Array.from({ length: Math.max(0, s.length - L) }, (_, k) => ({ s, at: k + L })));
  const windows = new Float32Array(rows.length * L);
  rows.forEach((r, i) => windows.set(r.s.slice(r.at - L, r.at), i * L));
  const x = new Float32Array(rows.length * L);
  const center = new Float64Array(rows.length);
  const spread = new Float64Array(rows.length);
  testNormalise(windows, rows.length, L, x, center, spread);
  const y = Float32Array.from(rows.map((r, i) => Math.max(-CLIP, Math.min(CLIP, (r.s[r.at] - center[i]) / spread[i]))));
  const set: ForecastSet = { x, y, count: rows.length, byComponent: new Map() };
  await fitForecaster(model, set, { windowLength: L, epochs, learningRate: 0.003 });
  const weights: ForecasterWeights = forecasterWeights(model, 'test-base');
  model.dispose();
  return { weights, normalise: testNormalise, clip: CLIP };
}

/** A trainer service on its own nats-server, with a gRPC client and a registry view. */
export interface TrainerUnderTest {
  server: NatsServerProcess;
  bus: Bus;
  registry: ModelRegistry;
  handle: ServiceHandle;
  /** Calls a TrainerService method: `await t.call('listModels', { model: '' })`. */
  call<K extends TrainerMethod>(method: K, request: RequestOf<K>): Promise<ResponseOf<K>>;
  /** Stops the trainer and starts it again on the same server (state from NATS only). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

type TrainerMethod = keyof TrainerServiceServer;
type RequestOf<K extends TrainerMethod> = TrainerServiceServer[K] extends grpc.handleUnaryCall<infer Req, infer _Res> ? Req : never;
type ResponseOf<K extends TrainerMethod> = TrainerServiceServer[K] extends grpc.handleUnaryCall<infer _Req, infer Res> ? Res : never;

/**
 * Starts a nats-server (streams provisioned) and, after `before(bus)` (e.g. publishing
 * history), the trainer service in this process on free ports with `env`.
 */
export async function startTrainerUnderTest(options: { env?: Record<string, string>; detectorBase?: DetectorBase; before?: (bus: Bus) => Promise<void> }): Promise<TrainerUnderTest> {
  const server = await startNatsServer();
  const bus = await connectBus({ url: server.url, name: 'trainer-test' });
  await provisionStreams(bus.jsm);
  await options.before?.(bus);
  const launch = () =>
    runService(createTrainerService({ detectorBase: options.detectorBase }), {
      handleSignals: false,
      env: { NATS_URL: server.url, GRPC_HOST: '127.0.0.1', GRPC_PORT: '0', METRICS_PORT: '0', LOG_LEVEL: 'warn', X0_INSTANCE: 'trainer-test', ...options.env },
    });
  let handle = await launch();
  const registry = await createModelRegistry({ nc: bus.nc, source: 'test' });
  let client = new TrainerServiceClient(`127.0.0.1:${handle.grpcPort}`, grpc.credentials.createInsecure());
  const call = <K extends TrainerMethod>(method: K, request: RequestOf<K>) =>
    new Promise<ResponseOf<K>>((resolve, reject) => {
      const fn = (client as unknown as Record<string, unknown>)[method as string] as (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: ResponseOf<K>) => void) => void;
      fn.call(client, request, new grpc.Metadata(), { deadline: Date.now() + 20_000 }, (err, res) => (err ? reject(err) : resolve(res)));
    });
  return {
    server,
    bus,
    registry,
    get handle() {
      return handle;
    },
    call,
    restart: async () => {
      client.close();
      await handle.stop();
      handle = await launch();
      client = new TrainerServiceClient(`127.0.0.1:${handle.grpcPort}`, grpc.credentials.createInsecure());
    },
    stop: async () => {
      client.close();
      await handle.stop();
      await bus.drain();
      await server.stop();
    },
  };
}
