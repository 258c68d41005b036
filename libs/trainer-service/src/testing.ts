/** Test helpers for the trainer: a trainer service under test on its own nats-server. */
import { seededRandom } from '@x0/action-params';
import { connectBus, provisionStreams, publishMessage, type Bus } from '@x0/bus';
import { startNatsServer, waitFor, type NatsServerProcess } from '@x0/bus/testing';
import * as grpc from '@grpc/grpc-js';
import { METRIC_BATCH_CODEC, STREAMS, TrainerServiceClient, metricsSubject, type TrainerServiceServer, type TrainingJob } from '@x0/contracts';
import { createModelRegistry, type ModelRegistry } from '@x0/model-registry';
import { runService, type ServiceHandle } from '@x0/service-kit';
import { baseModelSignature } from '@x0/lora';
import type { DetectorBase } from './detector-trainable';
import type { TrainableModel, TrainOutcome } from './trainable';
import { anomalyDetectorBase, createTrainerService } from './trainer-service';

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
      // (automatic adapter jobs only where a test asks for them: they would interleave with the jobs it runs)
      env: { NATS_URL: server.url, GRPC_HOST: '127.0.0.1', GRPC_PORT: '0', METRICS_PORT: '0', LOG_LEVEL: 'warn', X0_INSTANCE: 'trainer-test', TRAINER_AUTO_ADAPTERS: 'false', ...options.env },
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

/** Waits until job `id` of the trainer under test has finished (succeeded or failed); returns it. */
export function finishedJob(t: TrainerUnderTest, id: string, timeoutMs = 120_000): Promise<TrainingJob> {
  return waitFor(
    async () => {
      const j = await t.call('getJob', { id });
      return j.state === 'succeeded' || j.state === 'failed' ? j : undefined;
    },
    timeoutMs,
    `job ${id} to finish`,
  );
}

/**
 * Publishes rows `from`..`to` of a database-like component (latency_ms and cpu noise, one row a
 * second from `t0`) in batches of 10; with `flap`, latency alternates high and low — new
 * dynamics, which the trainer's input-drift check flags.
 */
export async function publishDriftRows(bus: Bus, component: string, t0: number, rows: { from: number; to: number; flap: boolean; seed: number }): Promise<void> {
  const rand = seededRandom(rows.seed + rows.from);
  for (let i = rows.from; i < rows.to; i += 10) {
    const samples = [];
    for (let k = i; k < Math.min(rows.to, i + 10); k++) {
      const latency = 80 * (1 + 0.05 * (rand() - 0.5));
      samples.push({ metric: 'latency_ms', value: rows.flap ? latency * (k % 2 === 0 ? 1.7 : 0.5) : latency, timeMs: t0 + k * 1000 });
      samples.push({ metric: 'cpu', value: 0.3 * (1 + 0.05 * (rand() - 0.5)), timeMs: t0 + k * 1000 });
    }
    const id = `${component}-${i}`;
    await publishMessage(bus.js, { subject: metricsSubject(component), data: METRIC_BATCH_CODEC.encode({ id, component, timeMs: t0 + i * 1000, samples, labels: {} }), id });
  }
}

/**
 * A trainer that judges input drift quickly (a check every 200 ms, 200 rows) and never trains
 * (drift jobs wait a day), after `before(bus)` published the history; `env` adds or overrides.
 */
export function startDriftTrainer(before: (bus: Bus) => Promise<void>, env: Record<string, string> = {}): Promise<TrainerUnderTest> {
  return startTrainerUnderTest({
    detectorBase: anomalyDetectorBase(),
    env: { TRAINER_CHECK_INTERVAL_MS: '200', TRAINER_MIN_DRIFT_SAMPLES: '200', TRAINER_DRIFT_SETTLE_S: '86400', ...env },
    before,
  });
}

/** Resolves once the trainer's feedback consumer has handled every stored event. */
export function feedbackDrained(t: TrainerUnderTest): Promise<true> {
  return waitFor(
    async () => {
      const info = await t.bus.jsm.consumers.info(STREAMS.events.name, 'trainer-feedback');
      return info.num_pending === 0 && info.num_ack_pending === 0 ? true : undefined;
    },
    30_000,
    'the feedback consumer to catch up',
  );
}

/** Labels an anomaly through the Label RPC once the trainer has indexed it. */
export function labelWhenIndexed(t: TrainerUnderTest, anomalyId: string, real: boolean, actor: string) {
  return waitFor(
    async () => {
      try {
        return await t.call('label', { anomalyId, anomaly: real, actor, reason: '', component: '' });
      } catch {
        return undefined;
      }
    },
    30_000,
    `a label of ${anomalyId}`,
  );
}

/** A sawtooth of period 9 (plus a little wobble) from row `from`: dynamics the shared forecaster does not know, which a component's adapter learns. */
export function sawtooth(n: number, from = 0): number[] {
  return Array.from({ length: n }, (_, i) => 50 + 10 * ((i + from) % 9) + Math.sin((i + from) * 1.7));
}

/** Smooth periodic series with noise, like the demo components' healthy metrics. */
export function healthy(n: number, seed: number, base: number, offset = 0): number[] {
  const rand = seededRandom(seed);
  return Array.from({ length: n }, (_, i) => base * (1 + 0.15 * Math.sin((2 * Math.PI * (i + offset)) / 120) + 0.03 * (rand() + rand() + rand() - 1.5)));
}

/** Publishes one component's metric series, one sample a second from `startMs`, `perBatch` samples per batch. */
export async function publishSeries(bus: Bus, component: string, metrics: Record<string, number[]>, startMs: number, perBatch = 20): Promise<void> {
  const names = Object.keys(metrics);
  const n = metrics[names[0]].length;
  for (let i = 0; i < n; i += perBatch) {
    const samples = [];
    for (let k = i; k < Math.min(n, i + perBatch); k++) for (const m of names) samples.push({ metric: m, value: metrics[m][k], timeMs: startMs + k * 1000 });
    const id = `mb-${component}-${startMs}-${i}`;
    const data = METRIC_BATCH_CODEC.encode({ id, component, timeMs: startMs + i * 1000, samples, labels: {} });
    await publishMessage(bus.js, { subject: metricsSubject(component), data, id });
  }
}

/**
 * Runs `trainable`'s job for `component` as the runner runs it (the data since `sinceMs`), and
 * promotes `baseModel@version` to champion as soon as its training stage starts: the base moves
 * while the adapter trains. Resolves once the promotion has landed, with the outcome (the caller
 * disposes it), whether the move landed while the job ran, and the new base's weight signature.
 */
export async function trainWhileBaseMoves(
  t: TrainerUnderTest,
  trainable: TrainableModel,
  o: { component: string; sinceMs: number; baseModel: string; version: string },
): Promise<{ outcome: TrainOutcome; moved: boolean; baseHash: string }> {
  let promoted: Promise<unknown> | undefined;
  let moved = false;
  const outcome = await trainable.train({
    jobId: 'job_test',
    component: o.component,
    bus: t.bus,
    registry: t.registry,
    sinceMs: o.sinceMs,
    untilMs: Date.now(),
    holdoutFraction: 0.25,
    maxReplayMessages: 100_000,
    progress: (stage) => {
      if (stage === 'train' && !promoted) {
        promoted = t.registry.promote(o.baseModel, o.version, 'champion', { reason: 'test: the base moves during the adapter job', actor: 'ci' }).then(() => (moved = true));
      }
    },
  });
  await promoted;
  const base = await t.registry.loadModel(o.baseModel, o.version);
  const baseHash = baseModelSignature(base);
  base.dispose();
  return { outcome, moved, baseHash };
}
