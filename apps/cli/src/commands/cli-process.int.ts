/**
 * The CLI as an operator runs it (a child process on the TypeScript sources): what it says
 * after an approval, and exit codes —
 * 0 success, 1 a service unreachable or an RPC error, 2 bad arguments — and the one
 * "service unreachable … is it running?" message, against a fake gRPC server that answers
 * GetStatistics for whichever services a test chooses, and a port where nothing listens.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import {
  AnalyzeServiceService,
  type DecisionRequest,
  type DecisionResponse,
  type DeleteDocumentRequest,
  type DeleteDocumentResponse,
  type DeletePolicyRequest,
  type GetIncidentRequest,
  type GetModelRequest,
  Incident,
  type IngestDocumentRequest,
  type IngestDocumentResponse,
  type ListActionsResponse,
  type ListJobsRequest,
  type ListJobsResponse,
  type ListModelsRequest,
  type ListModelsResponse,
  ModelVersion,
  ExecutorServiceService,
  KnowledgeServiceService,
  MonitorServiceService,
  PlannerServiceService,
  Policy,
  Severity,
  Verdict,
  type UpsertPolicyRequest,
  Statistics,
  TrainerServiceService,
} from '@x0/contracts';
import { MAX_RUNBOOK_BYTES } from '@x0/knowledge-base';
import { SERVICE_NAMES, type ServiceName } from '@x0/service-kit';

const ROOT = path.resolve(__dirname, '../../../..');
const MAIN = path.join(ROOT, 'apps/cli/src/main.ts');

const DEFINITIONS: Record<ServiceName, grpc.ServiceDefinition> = {
  monitor: MonitorServiceService,
  analyze: AnalyzeServiceService,
  plan: PlannerServiceService,
  execute: ExecutorServiceService,
  knowledge: KnowledgeServiceService,
  trainer: TrainerServiceService,
};

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `x0 <args>` with every service at `addresses` and NATS at `natsUrl`. */
function x0(args: string[], addresses: Record<ServiceName, string>, natsUrl: string): Promise<Run> {
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HOME: process.env['HOME'], NATS_URL: natsUrl, USER: 'tester' };
  for (const s of SERVICE_NAMES) env[`X0_${s.toUpperCase()}_GRPC`] = addresses[s];
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, env, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/** Runs `x0 <args>` with its stdout's reader gone at once (as `x0 … | head` once head has its lines). */
function x0StdoutClosed(args: string[], addresses: Record<ServiceName, string>, natsUrl: string): Promise<{ code: number | null; stderr: string }> {
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HOME: process.env['HOME'], NATS_URL: natsUrl, USER: 'tester' };
  for (const s of SERVICE_NAMES) env[`X0_${s.toUpperCase()}_GRPC`] = addresses[s];
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

/** A port on 127.0.0.1 where nothing listens. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

describe('cli process', () => {
  let server: grpc.Server;
  let up: string;
  let down: string;
  const failing = new Set<ServiceName>();
  const ingested: string[] = [];
  const upserted: string[] = [];
  const all = (address: string) => Object.fromEntries(SERVICE_NAMES.map((s) => [s, address])) as Record<ServiceName, string>;

  beforeAll(async () => {
    server = new grpc.Server();
    for (const s of SERVICE_NAMES) {
      const impl: grpc.UntypedServiceImplementation = {
        getStatistics: (_call: unknown, cb: grpc.sendUnaryData<Statistics>) =>
          failing.has(s) ? cb({ code: grpc.status.INTERNAL, details: `${s} is broken` }) : cb(null, Statistics.fromPartial({ service: s, uptimeS: 5 })),
      };
      if (s === 'plan') {
        impl['upsertPolicy'] = (call: grpc.ServerUnaryCall<UpsertPolicyRequest, Policy>, cb: grpc.sendUnaryData<Policy>) => {
          upserted.push(call.request.policy!.id);
          cb(null, call.request.policy!);
        };
        // As the plan service answers (libs/plan-service/src/policy-removal.int.ts).
        impl['deletePolicy'] = (call: grpc.ServerUnaryCall<DeletePolicyRequest, Policy>, cb: grpc.sendUnaryData<Policy>) =>
          call.request.id === 'cpu-throttle'
            ? cb(null, Policy.fromPartial({ id: 'cpu-throttle', action: 'throttle', priority: 50, enabled: true }))
            : cb({ code: grpc.status.NOT_FOUND, details: `policy '${call.request.id}' not found` });
      }
      if (s === 'trainer') {
        impl['listModels'] = (call: grpc.ServerUnaryCall<ListModelsRequest, ListModelsResponse>, cb: grpc.sendUnaryData<ListModelsResponse>) => {
          const all = ['detector', 'action-params', 'action-params--web-1'].map((model) => ModelVersion.fromPartial({ model, version: '1', aliases: ['champion'] }));
          cb(null, { models: all.filter((v) => !call.request.model || v.model === call.request.model) });
        };
        // As the registry answers (libs/model-registry/src/model-registry.ts): no version under that name.
        impl['getModel'] = (call: grpc.ServerUnaryCall<GetModelRequest, ModelVersion>, cb: grpc.sendUnaryData<ModelVersion>) =>
          call.request.model === 'detector' && call.request.ref === 'champion'
            ? cb(null, ModelVersion.fromPartial({ model: 'detector', version: '1', aliases: ['champion'] }))
            : cb({ code: grpc.status.NOT_FOUND, details: `model version '${call.request.model}@${call.request.ref}' not found` });
        // As the trainer answers (libs/trainer-service/src/trainer-service.int.ts).
        impl['listJobs'] = (call: grpc.ServerUnaryCall<ListJobsRequest, ListJobsResponse>, cb: grpc.sendUnaryData<ListJobsResponse>) =>
          ['', 'detector', 'action-params'].includes(call.request.model)
            ? cb(null, { jobs: [] })
            : cb({ code: grpc.status.NOT_FOUND, details: `model '${call.request.model}' not found: the trainer trains detector, action-params` });
      }
      if (s === 'knowledge') {
        impl['ingestDocument'] = (call: grpc.ServerUnaryCall<IngestDocumentRequest, IngestDocumentResponse>, cb: grpc.sendUnaryData<IngestDocumentResponse>) => {
          ingested.push(call.request.source);
          cb(null, { chunks: 1 });
        };
        impl['getIncident'] = (call: grpc.ServerUnaryCall<GetIncidentRequest, Incident>, cb: grpc.sendUnaryData<Incident>) =>
          call.request.id === 'an_1'
            ? cb(null, Incident.fromPartial({ id: 'an_1', context: { anomalyId: 'an_1', component: 'demo-db', severity: Severity.SEVERITY_HIGH, signature: [0.5, -0.5], action: 'failover' }, verdict: Verdict.VERDICT_UNSPECIFIED }))
            : cb({ code: grpc.status.NOT_FOUND, details: `incident '${call.request.id}' not found` });
        // As the knowledge service answers (libs/knowledge-service/src/runbook-removal.int.ts).
        impl['deleteDocument'] = (call: grpc.ServerUnaryCall<DeleteDocumentRequest, DeleteDocumentResponse>, cb: grpc.sendUnaryData<DeleteDocumentResponse>) =>
          call.request.source === 'disk-full.md'
            ? cb(null, { chunks: 7 })
            : cb({ code: grpc.status.NOT_FOUND, details: `runbook '${call.request.source}' not found: it is not in the knowledge base (never added, or removed already); x0 kb search shows the runbooks it has, in brackets` });
      }
      if (s === 'execute') {
        impl['listActions'] = (_call: unknown, cb: grpc.sendUnaryData<ListActionsResponse>) => cb(null, { components: [], executors: ['agent', 'dry-run'] });
        impl['approve'] = (call: grpc.ServerUnaryCall<DecisionRequest, DecisionResponse>, cb: grpc.sendUnaryData<DecisionResponse>) =>
          call.request.planId === 'pl_ok' ? cb(null, { planId: 'pl_ok', status: 'approved' }) : cb({ code: grpc.status.INVALID_ARGUMENT, details: "'plan_id' is not a plan id" });
      }
      server.addService(DEFINITIONS[s], impl);
    }
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    up = `127.0.0.1:${port}`;
    down = `127.0.0.1:${await closedPort()}`;
  });

  afterAll(() => server?.forceShutdown());
  afterEach(() => {
    failing.clear();
    ingested.length = 0;
    upserted.length = 0;
  });

  it('stats - exits 0 when every service answers', async () => {
    const r = await x0(['stats'], all(up), `nats://${down}`);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^trainer\s+0\s+0\s+0\s+0\s+0\.00\s+0\.00\s+-\s+5s$/m);
  }, 40_000);

  it('stats - exits 1 when every service is unreachable, saying so once per service', async () => {
    const r = await x0(['stats'], all(down), `nats://${down}`);
    expect(r.code).toBe(1);
    const unreachable = r.stdout.split('\n').filter((l) => l.includes(`service unreachable (connect ECONNREFUSED ${down}); is it running? (x0 status)`));
    expect(unreachable).toHaveLength(6);
    expect(r.stdout).not.toContain('Resolution note');
    expect(r.stdout).toContain('6/6 services did not answer');
  }, 40_000);

  it('stats - exits 1 when one service is unreachable or one fails, also with --json', async () => {
    const oneDown = await x0(['stats', '--json'], { ...all(up), knowledge: down }, `nats://${down}`);
    expect(oneDown.code).toBe(1);
    expect(JSON.parse(oneDown.stdout).filter((s: { error?: string }) => s.error).map((s: { service: string }) => s.service)).toEqual(['knowledge']);
    failing.add('plan');
    const oneFails = await x0(['stats'], all(up), `nats://${down}`);
    expect(oneFails.code).toBe(1);
    expect(oneFails.stdout).toMatch(/^plan .* plan is broken/m);
  }, 40_000);

  it('unreachable - a command through usingClient and one through withClient print the same message', async () => {
    const expected = `x0: service unreachable (connect ECONNREFUSED ${down}); is it running? (x0 status)\n`;
    const models = await x0(['models', 'ls'], all(down), `nats://${down}`);
    expect(models).toMatchObject({ code: 1, stderr: expected });
    const pending = await x0(['pending'], all(down), `nats://${down}`);
    expect(pending).toMatchObject({ code: 1, stderr: expected });
  }, 40_000);

  it('approve - does not promise the action runs: execute skips it if the component recovered or its incident ended meanwhile', async () => {
    const r = await x0(['approve', 'pl_ok', '--actor', 'alice'], all(up), `nats://${down}`);
    expect(r).toMatchObject({
      code: 0,
      stdout: 'pl_ok approved by alice; execute runs the action unless the component has recovered or its incident has ended meanwhile (then it is skipped) — follow with x0 events --type action,outcome\n',
    });
  }, 40_000);

  it('stdout closed - a reader that goes away (x0 … | head) ends the CLI quietly with 0, not an EPIPE stack', async () => {
    const r = await x0StdoutClosed(['stats', '--json'], all(up), `nats://${down}`);
    expect(r).toEqual({ code: 0, stderr: '' });
  }, 40_000);

  it('kb add - a runbook over the size limit or not a text file exits 2 before anything is sent; a .txt is ingested', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'x0-kb-'));
    try {
      const huge = path.join(dir, 'runbooks', 'huge.md');
      fs.mkdirSync(path.dirname(huge));
      fs.writeFileSync(path.join(dir, 'runbooks', 'a.md'), '# A\n\nrestart it\n');
      fs.writeFileSync(huge, `# Huge\n\n${'x'.repeat(MAX_RUNBOOK_BYTES)}`);
      const big = MAX_RUNBOOK_BYTES + '# Huge\n\n'.length;
      const tooBig = await x0(['kb', 'add', huge], all(up), `nats://${down}`);
      expect(tooBig).toMatchObject({ code: 2, stderr: `x0: ${huge}: ${big} bytes; a runbook may be at most 1048576 bytes (1 MiB)\n` });
      // A folder is checked whole first: a.md is not sent when huge.md cannot be.
      const folder = await x0(['kb', 'add', path.join(dir, 'runbooks')], all(up), `nats://${down}`);
      expect(folder).toMatchObject({ code: 2, stderr: `x0: ${huge}: ${big} bytes; a runbook may be at most 1048576 bytes (1 MiB)\n` });
      const pdf = path.join(dir, 'manual.pdf');
      fs.writeFileSync(pdf, '%PDF-1.7');
      expect(await x0(['kb', 'add', pdf], all(up), `nats://${down}`)).toMatchObject({ code: 2, stderr: `x0: ${pdf}: not a runbook: expected a .md, .markdown or .txt file\n` });
      expect(ingested).toEqual([]);
      const txt = path.join(dir, 'notes.txt');
      fs.writeFileSync(txt, 'Restart the worker when the queue backs up.\n');
      expect(await x0(['kb', 'add', txt], all(up), `nats://${down}`)).toMatchObject({ code: 0, stdout: `${txt}: 1 chunk(s)\n` });
      expect(ingested).toEqual(['notes.txt']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('models ls and show - an unknown model is an error naming the known ones, not an empty table or a missing version', async () => {
    for (const json of [[], ['--json']]) {
      const r = await x0(['models', 'ls', 'nosuch', ...json], all(up), `nats://${down}`);
      expect(r).toMatchObject({ code: 1, stdout: '', stderr: "x0: model 'nosuch' not found; known: action-params, action-params--web-1, detector\n" });
    }
    const detector = await x0(['models', 'ls', 'detector'], all(up), `nats://${down}`);
    expect(detector.code).toBe(0);
    expect(detector.stdout).toMatch(/^detector\s+1\s+champion/m);
    // models show: an unknown model is said as ls says it; an unknown version of a known model as the registry says it.
    expect(await x0(['models', 'show', 'nosuch'], all(up), `nats://${down}`)).toMatchObject({
      code: 1,
      stdout: '',
      stderr: "x0: model 'nosuch' not found; known: action-params, action-params--web-1, detector\n",
    });
    expect(await x0(['models', 'show', 'detector', '9'], all(up), `nats://${down}`)).toMatchObject({ code: 1, stdout: '', stderr: "x0: model version 'detector@9' not found\n" });
  }, 60_000);

  it('rm and jobs - a removal says what went; an unknown name is an error (exit 1), not silence or an empty table', async () => {
    expect(await x0(['kb', 'rm', 'disk-full.md'], all(up), `nats://${down}`)).toMatchObject({ code: 0, stdout: 'removed disk-full.md (7 chunk(s))\n', stderr: '' });
    // A path names the runbook by its file name, as kb add names it.
    expect(await x0(['kb', 'rm', 'deploy/runbooks/disk-full.md'], all(up), `nats://${down}`)).toMatchObject({ code: 0, stdout: 'removed disk-full.md (7 chunk(s))\n', stderr: '' });
    expect(await x0(['kb', 'rm', 'gone.md'], all(up), `nats://${down}`)).toMatchObject({
      code: 1,
      stdout: '',
      stderr: "x0: runbook 'gone.md' not found: it is not in the knowledge base (never added, or removed already); x0 kb search shows the runbooks it has, in brackets\n",
    });
    expect(await x0(['kb', 'rm', ''], all(up), `nats://${down}`)).toMatchObject({ code: 2, stdout: '', stderr: 'x0: runbook name must not be empty\n' });
    expect(await x0(['policies', 'rm', 'cpu-throttle'], all(up), `nats://${down}`)).toMatchObject({ code: 0, stdout: 'removed cpu-throttle (throttle, priority 50)\n', stderr: '' });
    expect(await x0(['policies', 'rm', 'nope'], all(up), `nats://${down}`)).toMatchObject({ code: 1, stdout: '', stderr: "x0: policy 'nope' not found\n" });
    for (const json of [[], ['--json']]) {
      const r = await x0(['jobs', '--model', 'nosuch', ...json], all(up), `nats://${down}`);
      expect(r).toMatchObject({ code: 1, stdout: '', stderr: "x0: model 'nosuch' not found: the trainer trains detector, action-params\n" });
    }
    expect(await x0(['jobs', '--model', 'detector', '--json'], all(up), `nats://${down}`)).toMatchObject({ code: 0, stdout: '[]\n' });
    // No job: said in words, not a bare header; an empty --model is a usage error, not "every model".
    expect(await x0(['jobs'], all(up), `nats://${down}`)).toMatchObject({ code: 0, stdout: 'no training jobs\n' });
    expect(await x0(['jobs', '--model', 'detector'], all(up), `nats://${down}`)).toMatchObject({ code: 0, stdout: 'no training jobs of detector\n' });
    expect(await x0(['jobs', '--model', ''], all(up), `nats://${down}`)).toMatchObject({ code: 2, stdout: '', stderr: 'x0: --model must name a model (x0 models ls)\n' });
  }, 90_000);

  it('incidents show - fields in words, not the raw message; --json keeps the raw form', async () => {
    const r = await x0(['incidents', 'show', 'an_1'], all(up), `nats://${down}`);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^component  demo-db, severity high, score 0\.000$/m);
    expect(r.stdout).toMatch(/^outcome    unknown$/m);
    expect(r.stdout).toMatch(/^signature  2 values in \[-0\.500, 0\.500\]/m);
    const json = await x0(['incidents', 'show', 'an_1', '--json'], all(up), `nats://${down}`);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ id: 'an_1', verdict: 0, context: { severity: 3, signature: [0.5, -0.5] } });
  }, 60_000);

  it('policies add - checked as the plan service checks its policy file; nothing is written when one policy is wrong', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'x0-policies-'));
    const file = (name: string, text: string) => {
      fs.writeFileSync(path.join(dir, name), text);
      return path.join(dir, name);
    };
    try {
      const twice = file('twice.yaml', 'version: 1\npolicies:\n  - { id: walk-e, action: restart, priority: 10 }\n  - { id: walk-e, action: scale_up, priority: 20 }\n');
      expect(await x0(['policies', 'add', twice], all(up), `nats://${down}`)).toMatchObject({ code: 2, stdout: '', stderr: `x0: ${twice}: 'policies[1].id' duplicates policies[0] ('walk-e')\n` });
      const v2 = file('v2.yaml', 'version: 2\npolicies:\n  - { id: a, action: restart, priority: 10 }\n');
      expect(await x0(['policies', 'add', v2], all(up), `nats://${down}`)).toMatchObject({ code: 2, stderr: `x0: ${v2}: 'version' must be 1\n` });
      const executor = file('executor.yaml', 'version: 1\npolicies:\n  - { id: a, action: restart, priority: 10 }\n  - { id: b, action: restart, priority: 10, executor: k8s }\n');
      expect(await x0(['policies', 'add', executor], all(up), `nats://${down}`)).toMatchObject({
        code: 2,
        stderr: `x0: ${executor}: 'policies[1].executor' is 'k8s', not an executor the execute service has configured (configured: agent, dry-run); nothing was added\n`,
      });
      expect(upserted).toEqual([]);

      const good = file('good.yaml', 'version: 1\npolicies:\n  - { id: a, action: restart, priority: 10 }\n  - { id: b, action: rollback, priority: 20, conditions: { causes: [bad_deployment] } }\n');
      const ok = await x0(['policies', 'add', good], all(up), `nats://${down}`);
      expect(ok).toMatchObject({ code: 0, stdout: 'upserted a (restart, priority 10)\nupserted b (rollback, priority 20)\n' });
      expect(ok.stderr).toBe(
        `x0: warning: ${good}: 'policies[1].conditions.causes[0]' is 'bad_deployment', not a cause analyze infers from metrics ` +
          '(cpu_saturation, memory_leak, latency_spike, error_burst, disk_full, queue_backlog, dependency_down, unknown): the policy applies only when a runbook naming that cause decides the diagnosis\n',
      );
      // Execute down: the executors cannot be checked; said so, and the policies are still added.
      const noExecute = await x0(['policies', 'add', executor], { ...all(up), execute: down }, `nats://${down}`);
      expect(noExecute.code).toBe(0);
      expect(noExecute.stderr).toBe(`x0: warning: executors not checked: execute service: service unreachable (connect ECONNREFUSED ${down}); is it running? (x0 status)\n`);
      expect(upserted).toEqual(['a', 'b', 'a', 'b']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('usage - bad arguments exit 2, whether the CLI, a library or the service rejects them', async () => {
    const badComponent = await x0(['publish', 'bad.comp', 'cpu=1'], all(down), `nats://${down}`);
    expect(badComponent).toMatchObject({ code: 2, stderr: `x0: 'component' must not contain "." (got "bad.comp")\n` });
    const noActor = await x0(['approve', 'pl_x', '--actor', ''], all(down), `nats://${down}`);
    expect(noActor).toMatchObject({ code: 2, stderr: 'x0: --actor must name who decides (it is kept in the audit trail)\n' });
    const serviceSaysNo = await x0(['approve', 'pl_x'], all(up), `nats://${down}`);
    expect(serviceSaysNo).toMatchObject({ code: 2, stderr: "x0: 'plan_id' is not a plan id\n" });
    const missing = await x0(['approve'], all(down), `nats://${down}`);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("error: missing required argument 'plan-id'");
    const help = await x0(['approve', '--help'], all(down), `nats://${down}`);
    expect(help.code).toBe(0);
  }, 60_000);
});
