/** Test helpers for CLI commands run as an operator runs them, against a stand-in trainer. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startNatsServer, type NatsServerProcess } from '@x0/bus/testing';
import { STREAMS, Statistics, TrainerServiceService, type TrainerServiceServer } from '@x0/contracts';
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
