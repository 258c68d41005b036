/** Test helpers for CLI commands run as an operator runs them, against a stand-in trainer. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startNatsServer, type NatsServerProcess } from '@x0/bus/testing';
import { STREAMS, Statistics, TrainerServiceService, type GetModelRequest, type ListModelsRequest, type ModelVersion, type PromoteRequest, type RollbackRequest, type TrainerServiceServer } from '@x0/contracts';
import { FailedPreconditionError, NotFoundError } from '@x0/core';
import { createModelRegistry, type ModelRegistry, type ModelVersionView } from '@x0/model-registry';
import { SERVICE_NAMES } from '@x0/service-kit';

const ROOT = path.resolve(__dirname, '../../../..');
const MAIN = path.join(ROOT, 'apps/cli/src/main.ts');

/** A nats-server (with X0_EVENTS) and a gRPC server answering TrainerService with `handlers`. */
export interface StandInTrainer {
  nats: NatsServerProcess;
  nc: NatsConnection;
  /** host:port of the gRPC server. */
  address: string;
  stop(): Promise<void>;
}

/** Starts a {@link StandInTrainer}; GetStatistics answers unless `handlers` does. */
export async function startStandInTrainer(handlers: Partial<Record<keyof TrainerServiceServer, unknown>>): Promise<StandInTrainer> {
  const nats = await startNatsServer();
  const nc = await connect({ servers: nats.url });
  await (await jetstreamManager(nc)).streams.add({ name: STREAMS.events.name, subjects: [...STREAMS.events.subjects] });
  const server = new grpc.Server();
  server.addService(TrainerServiceService, {
    getStatistics: (_c: unknown, cb: grpc.sendUnaryData<Statistics>) => cb(null, Statistics.fromPartial({ service: 'trainer' })),
    ...handlers,
  } as grpc.UntypedServiceImplementation);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return {
    nats,
    nc,
    address: `127.0.0.1:${port}`,
    stop: async () => {
      server.forceShutdown();
      await nc.drain();
      await nats.stop();
    },
  };
}

/** A unary handler answering as the trainer's gRPC server does: registry errors become their status. */
export function unary<Req, Res>(fn: (req: Req) => Promise<Res>) {
  return (call: grpc.ServerUnaryCall<Req, Res>, cb: grpc.sendUnaryData<Res>) =>
    fn(call.request).then(
      (res) => cb(null, res),
      (err: Error) =>
        cb({
          code: err instanceof NotFoundError ? grpc.status.NOT_FOUND : err instanceof FailedPreconditionError ? grpc.status.FAILED_PRECONDITION : grpc.status.INTERNAL,
          details: err.message,
        }),
    );
}

/**
 * A {@link StandInTrainer} whose model RPCs (ListModels, GetModel, Promote, Rollback) are served
 * from a real model registry on its nats-server, as the trainer serves them; `view` makes the
 * ModelVersion of a registry version, and `handlers` adds (or replaces) others.
 */
export async function startRegistryTrainer(
  view: (v: ModelVersionView) => ModelVersion,
  handlers: Partial<Record<keyof TrainerServiceServer, unknown>> = {},
): Promise<{ t: StandInTrainer; registry: ModelRegistry }> {
  // (the registry connects through the stand-in's nats-server: made once it runs)
  const made: { registry?: ModelRegistry } = {};
  const reg = () => made.registry!;
  const t = await startStandInTrainer({
    listModels: unary(async (req: ListModelsRequest) => {
      const names = req.model ? [req.model] : await reg().models();
      return { models: (await Promise.all(names.map((n) => reg().list(n)))).flat().map(view) };
    }),
    getModel: unary(async (req: GetModelRequest) => view(await reg().get(req.model, req.ref || 'champion'))),
    promote: unary(async (req: PromoteRequest) => {
      await reg().promote(req.model, req.version, req.alias || 'champion', { reason: req.reason || 'manual promotion', actor: req.actor });
      return view(await reg().get(req.model, req.version));
    }),
    rollback: unary(async (req: RollbackRequest) => {
      const state = await reg().rollback(req.model, req.alias || 'champion', { reason: req.reason || 'manual rollback', actor: req.actor });
      return view(await reg().get(req.model, state.version));
    }),
    ...handlers,
  });
  made.registry = await createModelRegistry({ nc: t.nc });
  return { t, registry: made.registry };
}

/** Runs `x0 <args>` from the TypeScript sources with every service at `grpcAddress` and NATS at `natsUrl`. */
export function runX0(args: string[], o: { natsUrl: string; grpcAddress: string }): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HOME: process.env['HOME'], NATS_URL: o.natsUrl, USER: 'tester' };
  for (const s of SERVICE_NAMES) env[`X0_${s.toUpperCase()}_GRPC`] = o.grpcAddress;
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, env, timeout: 45_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}
