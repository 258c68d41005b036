/**
 * What the plan service's integration tests share: a nats-server with a folder holding the
 * policy and guardrail files, the service started against them over gRPC, and unary calls.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { connectBus, type Bus } from '@x0/bus';
import { startNatsServer, type NatsServerProcess } from '@x0/bus/testing';
import { PlannerServiceClient } from '@x0/contracts';
import { runService, type ServiceHandle } from '@x0/service-kit';
import { planService } from './plan-service';

type Unary<Req, Res> = (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => grpc.ClientUnaryCall;

/** One unary call of `client`, as a promise. */
export function call<Req, Res>(client: PlannerServiceClient, method: Unary<Req, Res>, req: Req): Promise<Res> {
  return new Promise((resolve, reject) => method.call(client, req, (err, res) => (err ? reject(err) : resolve(res))));
}

/** A nats-server, a bus connection and a folder with `policies.yaml` and `guardrails.yaml`. */
export interface PlanTestBed {
  nats: NatsServerProcess;
  bus: Bus;
  dir: string;
  /** Drains the bus, stops the server, removes the folder. */
  close(): Promise<void>;
}

export async function planTestBed(name: string, files: { policies: string; guardrails: string }): Promise<PlanTestBed> {
  const nats = await startNatsServer();
  const bus = await connectBus({ url: nats.url, name });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `x0-${name}-`));
  fs.writeFileSync(path.join(dir, 'policies.yaml'), files.policies);
  fs.writeFileSync(path.join(dir, 'guardrails.yaml'), files.guardrails);
  return {
    nats,
    bus,
    dir,
    close: async () => {
      await bus.drain();
      await nats.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The plan service on the test bed's files (free ports, silent logs), and a gRPC client of it. */
export async function startPlanService(bed: PlanTestBed, env: Record<string, string> = {}): Promise<{ handle: ServiceHandle; client: PlannerServiceClient }> {
  const handle = await runService(planService, {
    env: {
      NATS_URL: bed.nats.url,
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: '0',
      METRICS_PORT: '0',
      LOG_LEVEL: 'silent',
      PLAN_POLICY_FILE: path.join(bed.dir, 'policies.yaml'),
      PLAN_GUARDRAILS_FILE: path.join(bed.dir, 'guardrails.yaml'),
      ...env,
    },
    handleSignals: false,
  });
  return { handle, client: new PlannerServiceClient(`127.0.0.1:${handle.grpcPort}`, grpc.credentials.createInsecure()) };
}
