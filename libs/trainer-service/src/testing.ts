/** Test helpers for the trainer: a trainer service under test on its own nats-server. */
import { connectBus, provisionStreams, type Bus } from '@x0/bus';
import { startNatsServer, type NatsServerProcess } from '@x0/bus/testing';
import * as grpc from '@grpc/grpc-js';
import { TrainerServiceClient, type TrainerServiceServer } from '@x0/contracts';
import { createModelRegistry, type ModelRegistry } from '@x0/model-registry';
import { runService, type ServiceHandle } from '@x0/service-kit';
import type { DetectorBase } from './detector-trainable';
import { createTrainerService } from './trainer-service';

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
