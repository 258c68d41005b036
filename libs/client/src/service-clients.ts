import * as grpc from '@grpc/grpc-js';
import {
  AnalyzeServiceClient,
  ExecutorServiceClient,
  KnowledgeServiceClient,
  MonitorServiceClient,
  PlannerServiceClient,
  TrainerServiceClient,
} from '@x0/contracts';
import { portOffset, servicePorts, SERVICE_NAMES, type ServiceName } from '@x0/service-kit';

/** Fully-qualified gRPC service name of each x0 service. */
export const GRPC_SERVICE_NAMES: Record<ServiceName, string> = {
  monitor: 'x0.v1.MonitorService',
  analyze: 'x0.v1.AnalyzeService',
  plan: 'x0.v1.PlannerService',
  execute: 'x0.v1.ExecutorService',
  knowledge: 'x0.v1.KnowledgeService',
  trainer: 'x0.v1.TrainerService',
};

/**
 * gRPC address of each service: `X0_<SERVICE>_GRPC` (host:port) when set, otherwise
 * `<X0_GRPC_HOST or 127.0.0.1>:<default port + X0_PORT_OFFSET>`. Throws ConfigError on a bad
 * X0_PORT_OFFSET.
 */
export function serviceAddresses(env: NodeJS.ProcessEnv = process.env): Record<ServiceName, string> {
  const host = env['X0_GRPC_HOST'] || '127.0.0.1';
  const offset = portOffset(env);
  const out = {} as Record<ServiceName, string>;
  for (const s of SERVICE_NAMES) out[s] = env[`X0_${s.toUpperCase()}_GRPC`] || `${host}:${servicePorts(s, offset).grpc}`;
  return out;
}

type Callback<Res> = (err: grpc.ServiceError | null, res: Res) => void;
// Generated unary methods are overloaded; `infer` sees the last overload, the one with
// (request, metadata, options, callback).
type UnaryOverload<Req, Res> = (req: Req, metadata: grpc.Metadata, options: Partial<grpc.CallOptions>, cb: Callback<Res>) => grpc.ClientUnaryCall;
type Promisified<C> = {
  [K in keyof C as C[K] extends UnaryOverload<infer _Req, infer _Res> ? K : never]: C[K] extends UnaryOverload<infer Req, infer Res>
    ? (req: Req, options?: { timeoutMs?: number }) => Promise<Res>
    : never;
};

/** Promise-returning view of a generated grpc-js client (unary methods only). */
export type Rpc<C> = Promisified<C> & { close(): void };

function promisify<C extends grpc.Client>(client: C, defaultTimeoutMs: number): Rpc<C> {
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === 'close') return () => target.close();
      const fn = Reflect.get(target, prop, receiver);
      if (typeof fn !== 'function') return fn;
      return (req: unknown, options: { timeoutMs?: number } = {}) =>
        new Promise((resolve, reject) => {
          fn.call(target, req, new grpc.Metadata(), { deadline: Date.now() + (options.timeoutMs ?? defaultTimeoutMs) }, (err: grpc.ServiceError | null, res: unknown) =>
            err ? reject(err) : resolve(res),
          );
        });
    },
  }) as unknown as Rpc<C>;
}

/** Typed, promise-returning gRPC clients of the six services. */
export interface ServiceClients {
  monitor: Rpc<MonitorServiceClient>;
  analyze: Rpc<AnalyzeServiceClient>;
  plan: Rpc<PlannerServiceClient>;
  execute: Rpc<ExecutorServiceClient>;
  knowledge: Rpc<KnowledgeServiceClient>;
  trainer: Rpc<TrainerServiceClient>;
  close(): void;
}

/** Opens (lazily connecting) clients to every service at `addresses`. */
export function createServiceClients(addresses: Record<ServiceName, string> = serviceAddresses(), timeoutMs = 5000): ServiceClients {
  const creds = grpc.credentials.createInsecure();
  const c = {
    monitor: promisify(new MonitorServiceClient(addresses.monitor, creds), timeoutMs),
    analyze: promisify(new AnalyzeServiceClient(addresses.analyze, creds), timeoutMs),
    plan: promisify(new PlannerServiceClient(addresses.plan, creds), timeoutMs),
    execute: promisify(new ExecutorServiceClient(addresses.execute, creds), timeoutMs),
    knowledge: promisify(new KnowledgeServiceClient(addresses.knowledge, creds), timeoutMs),
    trainer: promisify(new TrainerServiceClient(addresses.trainer, creds), timeoutMs),
  };
  return { ...c, close: () => Object.values(c).forEach((x) => x.close()) };
}
