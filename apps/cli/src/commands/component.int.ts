/**
 * `x0 component <name>` as an operator runs it (a child process on the TypeScript sources)
 * against a real nats-server, on which the test publishes the monitor's live statuses, and a
 * fake monitor gRPC server answering GetComponentStatus and ListAnomalies as the monitor does
 * (libs/monitor-service/src/monitor-service.ts): an open incident read from the live status,
 * none open, no live status at all, and a component the monitor does not know.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { connectBus, type Bus } from '@x0/bus';
import { startNatsServer, type NatsServerProcess } from '@x0/bus/testing';
import {
  Anomaly,
  COMPONENT_HEALTH_CODEC,
  ComponentStatus,
  MonitorServiceService,
  Severity,
  statusSubject,
  type GetComponentStatusRequest,
  type ListAnomaliesRequest,
  type ListAnomaliesResponse,
} from '@x0/contracts';
import { SERVICE_NAMES } from '@x0/service-kit';
import { queueAnnouncement } from './component-testing';

const ROOT = path.resolve(__dirname, '../../../..');
const MAIN = path.join(ROOT, 'apps/cli/src/main.ts');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `x0 <args>` with the monitor at `monitor` (every other service too) and NATS at `natsUrl`. */
function x0(args: string[], monitor: string, natsUrl: string): Promise<Run> {
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HOME: process.env['HOME'], NATS_URL: natsUrl };
  for (const s of SERVICE_NAMES) env[`X0_${s.toUpperCase()}_GRPC`] = monitor;
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, env, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

const NOW = Date.now();
const START = NOW - 13 * 60_000;

/** Announcement `n` of demo-queue's incident an_q1 (the first is an_q1 itself). */
const announcement = (n: number, timeMs: number) =>
  queueAnnouncement('q', n, timeMs, START, [
    { metric: 'rps', value: 28, expected: 505, score: 0.98 },
    { metric: 'error_rate', value: 0.405, expected: 0.005, score: 1 },
  ]);

/** The monitor's recent anomalies, newest first: demo-queue's open incident, and an older one of demo-web that cleared. */
const ANOMALIES = [
  announcement(3, NOW - 20_000),
  announcement(2, NOW - 6 * 60_000),
  Anomaly.fromPartial({ meta: { id: 'an_w1', component: 'demo-web', timeMs: NOW - 3_600_000 }, incidentId: 'an_w1', incidentStartMs: NOW - 3_600_000, announcement: 1 }),
  announcement(1, START),
];

const status = (component: string, kind: string, lastAnomalyMs: number) =>
  ComponentStatus.fromPartial({
    component,
    kind,
    phase: 'scoring',
    samplesSeen: 900,
    lastScore: component === 'demo-queue' ? 0.93 : 0.02,
    lastSeverity: component === 'demo-queue' ? Severity.SEVERITY_HIGH : Severity.SEVERITY_UNSPECIFIED,
    lastSampleMs: NOW - 1000,
    lastAnomalyMs,
    metrics: [
      { metric: 'error_rate', lastValue: 0.405, mean: 0.005, stddev: 0.001, samples: 900 },
      { metric: 'rps', lastValue: 28, mean: 505, stddev: 12, samples: 900 },
    ],
  });

/** What the fake monitor knows (demo-db: known, but its live status is not published). */
const STATUSES: Record<string, ComponentStatus> = {
  'demo-queue': status('demo-queue', 'queue', NOW - 20_000),
  'demo-web': status('demo-web', 'web', NOW - 3_600_000),
  'demo-db': status('demo-db', 'db', 0),
};

describe('x0 component', () => {
  let nats: NatsServerProcess;
  let bus: Bus;
  let server: grpc.Server;
  let monitor: string;
  let ticker: NodeJS.Timeout;
  const listed: ListAnomaliesRequest[] = [];

  beforeAll(async () => {
    nats = await startNatsServer();
    bus = await connectBus({ url: nats.url, name: 'component-test' });
    // As the monitor does, every status interval while the component reports.
    const publish = () => {
      for (const [component, openAnomalyId] of [['demo-queue', 'an_q3'], ['demo-web', '']]) {
        const s = STATUSES[component];
        bus.nc.publish(statusSubject(component), COMPONENT_HEALTH_CODEC.encode({ component, timeMs: Date.now(), score: s.lastScore, severity: s.lastSeverity, phase: 'scoring', openAnomalyId, openIncidentId: openAnomalyId }));
      }
    };
    ticker = setInterval(publish, 200);

    server = new grpc.Server();
    server.addService(MonitorServiceService, {
      getComponentStatus: (call: grpc.ServerUnaryCall<GetComponentStatusRequest, ComponentStatus>, cb: grpc.sendUnaryData<ComponentStatus>) => {
        const s = STATUSES[call.request.component];
        // As the monitor answers a NotFoundError (libs/service-kit maps it to NOT_FOUND).
        return s ? cb(null, s) : cb({ code: grpc.status.NOT_FOUND, details: `component '${call.request.component}' not found` });
      },
      listAnomalies: (call: grpc.ServerUnaryCall<ListAnomaliesRequest, ListAnomaliesResponse>, cb: grpc.sendUnaryData<ListAnomaliesResponse>) => {
        const r = call.request;
        listed.push(r);
        const anomalies = ANOMALIES.filter((a) => (!r.component || a.meta?.component === r.component) && (!r.incidentId || (a.incidentId || a.meta?.id) === r.incidentId));
        cb(null, { anomalies: anomalies.slice(0, r.limit || 100) });
      },
    });
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    monitor = `127.0.0.1:${port}`;
  }, 30_000);

  afterAll(async () => {
    clearInterval(ticker);
    server?.forceShutdown();
    await bus?.drain();
    await nats?.stop();
  });

  beforeEach(() => {
    listed.length = 0;
  });

  it('open incident - read from the live status: the incident it belongs to, its start, announcements and top metrics', async () => {
    const r = await x0(['component', 'demo-queue'], monitor, nats.url);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^component {4}demo-queue \(queue\)$/m);
    expect(r.stdout).toMatch(/^phase {8}scoring, 900 sample\(s\) seen$/m);
    expect(r.stdout).toMatch(/^incident {5}OPEN an_q1, started \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC, open 13m\d\ds$/m);
    expect(r.stdout).toMatch(/^ {13}3 announcement\(s\); latest an_q3 \d+s ago \(high, score 0\.930\)$/m);
    expect(r.stdout).toMatch(/^top metrics {2}error_rate 0\.405 \(expected 0\.00500, score 1\.00\); rps 28\.00 \(expected 505, score 0\.98\)$/m);
    expect(r.stdout).toMatch(/^METRIC +LAST +MEAN +STDDEV +SAMPLES$/m);
    expect(r.stdout).toMatch(/^error_rate +0\.405 +0\.00500 +0\.00100 +900$/m);
    // The incident's announcements come from ListAnomalies filtered by its id, not the live status's anomaly id.
    expect(listed.map((l) => l.incidentId)).toEqual(['', 'an_q1']);

    const json = await x0(['component', 'demo-queue', '--json'], monitor, nats.url);
    expect(json.code).toBe(0);
    const view = JSON.parse(json.stdout);
    expect(view).toMatchObject({
      status: { component: 'demo-queue', kind: 'queue', samplesSeen: 900 },
      live: { component: 'demo-queue', openAnomalyId: 'an_q3' },
      incident: { incidentId: 'an_q1', startMs: START, announcement: 3, latestAnomalyId: 'an_q3', listed: 3, latest: { meta: { id: 'an_q3' } } },
    });
    expect(view.liveError).toBeUndefined();
  }, 60_000);

  it('no open incident - the live status names none: said, with the last anomaly; the incident is null in --json', async () => {
    const r = await x0(['component', 'demo-web'], monitor, nats.url);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^incident {5}no open incident \(last anomaly \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(1h00m ago\)\)$/m);
    expect(r.stdout).not.toContain('OPEN');
    expect(listed).toEqual([]);
    const json = JSON.parse((await x0(['component', 'demo-web', '--json'], monitor, nats.url)).stdout);
    expect(json).toMatchObject({ live: { openAnomalyId: '' }, incident: null });
  }, 60_000);

  it('no live status - within 3 s: said plainly, and what the monitor answered over gRPC is still printed', async () => {
    const started = Date.now();
    const r = await x0(['component', 'demo-db'], monitor, nats.url);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^incident {5}unknown: no live status within 3s — is the monitor running and is the component reporting\? \(no anomaly since the monitor started\)$/m);
    expect(r.stdout).toMatch(/^component {4}demo-db \(db\)$/m);
    expect(r.stdout).toMatch(/^rps +28\.00 +505 +12\.00 +900$/m);
    expect(Date.now() - started).toBeLessThan(15_000);
    // NATS down: the same, with the reason.
    const down = await x0(['component', 'demo-db', '--json'], monitor, 'nats://127.0.0.1:1');
    expect(down.code).toBe(0);
    expect(JSON.parse(down.stdout)).toMatchObject({ live: null, incident: null, liveError: expect.stringMatching(/^no live status: cannot connect to NATS at nats:\/\/127\.0\.0\.1:1/) });
  }, 60_000);

  it('unknown component - NOT_FOUND in words on stderr, exit 1, nothing on stdout; a name that cannot be a component exits 2', async () => {
    for (const json of [[], ['--json']]) {
      const r = await x0(['component', 'nosuch', ...json], monitor, nats.url);
      expect(r).toEqual({
        code: 1,
        stdout: '',
        stderr:
          "x0: component 'nosuch' not found: the monitor has no sample of it — is the name right, and has it published metrics since the monitor started? (x0 events --component nosuch)\n",
      });
    }
    expect(await x0(['component', 'bad.name'], monitor, nats.url)).toEqual({ code: 2, stdout: '', stderr: `x0: 'component' must not contain "." (got "bad.name")\n` });
  }, 60_000);
});
