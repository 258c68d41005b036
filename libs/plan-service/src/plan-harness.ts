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
import { Outcome, PlannerServiceClient, type Plan, type Verdict } from '@x0/contracts';
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

/**
 * A plan service that a test stops and starts again on one test bed (the restart tests).
 * Registers the bed's setup and teardown with `beforeAll`/`afterAll` of the calling `describe`
 * (the service is started once the bed is up); `bus`, `bed` and `client` are valid in tests.
 */
export interface RestartablePlanService {
  readonly bed: PlanTestBed;
  readonly bus: Bus;
  /** The client of the running service. */
  readonly client: PlannerServiceClient;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function restartablePlanService(name: string, files: { policies: string; guardrails: string }): RestartablePlanService {
  let bed: PlanTestBed | undefined;
  let handle: ServiceHandle | undefined;
  let client: PlannerServiceClient | undefined;
  const svc: RestartablePlanService = {
    get bed() {
      return bed!;
    },
    get bus() {
      return bed!.bus;
    },
    get client() {
      return client!;
    },
    start: async () => {
      ({ handle, client } = await startPlanService(bed!));
    },
    stop: async () => {
      client?.close();
      await handle?.stop();
      client = handle = undefined;
    },
  };
  beforeAll(async () => {
    bed = await planTestBed(name, files);
    await svc.start();
  });
  afterAll(async () => {
    await svc.stop();
    await bed?.close();
  });
  return svc;
}

/** The Outcome event execute would publish for `plan`'s action (ids derived from the plan's). */
export function outcomeOf(plan: Plan, verdict: Verdict, recovered = false): Outcome {
  return Outcome.fromPartial({
    meta: { id: `oc_${plan.meta!.id}`, parentId: `ac_${plan.meta!.id}`, component: plan.meta!.component, timeMs: Date.now(), source: 'execute' },
    incident: plan.incident,
    actionId: `ac_${plan.meta!.id}`,
    verdict,
    recovered,
  });
}
