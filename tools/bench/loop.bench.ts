/**
 * Whole-system benchmarks, with real processes on a real nats-server (started here):
 *
 * ingest.samples_per_s   metric samples per second the monitor takes from JetStream, scores and
 *                        acks (500 components × 10,000 samples backlog, multi-metric batches)
 * loop.latency_p50_ms    from publishing the metric batch that opens an incident to the dry-run
 * loop.latency_p99_ms    action dispatched for it (ActionResult time), all six services running
 * loop.throughput_per_s  incidents per second through analyze → plan → execute (dry-run),
 *                        anomalies injected straight into x0.events.anomaly.*, all six services
 *                        running (the run also prints each process's CPU seconds)
 *
 *   npx tsx tools/bench/loop.bench.ts [ingest|latency|throughput]
 *   BENCH_CPU_PROF=execute,knowledge npx tsx tools/bench/loop.bench.ts throughput
 *       also writes a V8 CPU profile of each named service (node --cpu-prof) to
 *       $BENCH_CPU_PROF_DIR (default /tmp/x0-cpu-prof), to open in Chrome DevTools
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectBus, provisionStreams, publishMessage, type Bus } from '@x0/bus';
import { startNatsServer, type NatsServerProcess } from '@x0/bus/testing';
import { quantileSorted } from '@x0/core';
import { publishMetrics, X0Client } from '@x0/client';
import { Anomaly, EVENT_CODECS, METRIC_BATCH_CODEC, STREAMS, Severity, eventSubject, metricsSubject, type Sample } from '@x0/contracts';
import { healthyValues, rng } from '@x0/demo';
import { SERVICE_NAMES } from '@x0/service-kit';
import { Stack } from '../dev/stack';
import { processCpuMs, runWhenMain, type Figure } from './figure';


/** `node --cpu-prof` for the services named in BENCH_CPU_PROF (comma-separated), else none. */
function profiledServices(): Record<string, string[]> {
  const names = (process.env.BENCH_CPU_PROF ?? '').split(',').map((n) => n.trim()).filter(Boolean);
  if (names.length === 0) return {};
  const unknown = names.filter((n) => !(SERVICE_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0) throw new Error(`BENCH_CPU_PROF: unknown service(s) ${unknown.join(', ')}; have ${SERVICE_NAMES.join(', ')}`);
  const dir = process.env.BENCH_CPU_PROF_DIR ?? path.join(os.tmpdir(), 'x0-cpu-prof');
  fs.mkdirSync(dir, { recursive: true });
  process.stderr.write(`  CPU profiles of ${names.join(', ')} go to ${dir}\n`);
  return Object.fromEntries(names.map((n) => [n, ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${n}-${Date.now()}.cpuprofile`]]));
}

async function withStack<T>(services: ConstructorParameters<typeof Stack>[0]['services'] | undefined, env: Record<string, string>, fn: (ctx: { bus: Bus; stack: Stack; nats: NatsServerProcess }) => Promise<T>): Promise<T> {
  const nats = await startNatsServer();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'x0-bench-'));
  const bus = await connectBus({ url: nats.url, name: 'bench' });
  await provisionStreams(bus.jsm);
  const stack = new Stack({ natsUrl: nats.url, dataDir, services, env: { LOG_LEVEL: 'warn', ...env }, nodeArgs: profiledServices() });
  try {
    return await fn({ bus, stack, nats });
  } finally {
    await stack.stop();
    await bus.drain();
    await nats.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Samples/s the monitor consumes from a pre-loaded backlog. */
export async function ingest(): Promise<Figure[]> {
  const components = 500;
  const batchesPerComponent = 20;
  const pointsPerBatch = 10; // × 6 metrics = 60 samples per batch
  return withStack(['monitor'], { MONITOR_WARMUP_SAMPLES: '50', MONITOR_BATCH: '1024' }, async ({ bus, stack }) => {
    const rand = rng(1);
    const t0 = Date.now() - batchesPerComponent * pointsPerBatch * 1000;
    let samplesTotal = 0;
    const pending: Promise<unknown>[] = [];
    for (let b = 0; b < batchesPerComponent; b++) {
      for (let c = 0; c < components; c++) {
        const samples: Sample[] = [];
        for (let p = 0; p < pointsPerBatch; p++) {
          const timeMs = t0 + (b * pointsPerBatch + p) * 1000;
          for (const [metric, value] of Object.entries(healthyValues('web', timeMs / 1000, rand))) samples.push({ metric, value, timeMs });
        }
        samplesTotal += samples.length;
        const id = `b-${c}-${b}`;
        const component = `bench-${c}`;
        pending.push(publishMessage(bus.js, { subject: metricsSubject(component), data: METRIC_BATCH_CODEC.encode({ id, component, timeMs: samples[samples.length - 1].timeMs, samples, labels: { kind: 'web' } }), id }));
        if (pending.length >= 500) await Promise.all(pending.splice(0));
      }
    }
    await Promise.all(pending);
    const messages = components * batchesPerComponent;
    const starting = stack.start();
    // The clock starts at the first ack (process start-up and model loading are not ingest).
    let started = 0;
    let firstAcked = 0;
    for (;;) {
      const ci = await bus.jsm.consumers.info(STREAMS.metrics.name, 'monitor').catch(() => undefined);
      if (ci && !started && ci.ack_floor.stream_seq > 0) {
        started = performance.now();
        firstAcked = ci.ack_floor.stream_seq;
      }
      if (ci && ci.num_pending === 0 && ci.num_ack_pending === 0 && ci.delivered.stream_seq >= messages) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await starting;
    const seconds = (performance.now() - started) / 1000;
    samplesTotal = Math.round((samplesTotal * (messages - firstAcked)) / messages);
    return [{ bench: 'ingest.samples_per_s', value: Math.round(samplesTotal / seconds), unit: 'samples/s' }];
  });
}

/**
 * Guardrails that stay out of the way of a throughput/latency measurement: global dry-run
 * (the dry-run executor performs nothing) and no limits. Real deployments keep the defaults.
 */
const OPEN_GUARDRAILS = [
  'dryRun: true',
  'approval: { enabled: false }',
  'cooldown: { enabled: false }',
  'rateLimit: { component: { enabled: false }, global: { enabled: false } }',
  'blastRadius: { enabled: false }',
  'circuitBreaker: { policy: { enabled: false }, global: { enabled: false } }',
  'stabilisation: { enabled: false }',
  '',
].join('\n');

function openGuardrailsFile(): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'x0-guard-')), 'guardrails.yaml');
  fs.writeFileSync(file, OPEN_GUARDRAILS);
  return file;
}

/** Publish → dispatched action, one incident at a time, on pre-warmed components. */
export async function latency(): Promise<Figure[]> {
  const components = 120;
  return withStack(undefined, { PLAN_GUARDRAILS_FILE: openGuardrailsFile(), MONITOR_WARMUP_SAMPLES: '100', EXECUTE_VERIFY_WINDOW_S: '1' }, async ({ bus, stack, nats }) => {
    await stack.start(90_000);
    const rand = rng(2);
    const t0 = Date.now() - 200_000;
    // Baselines: 150 healthy points per component, in two batches each.
    for (let c = 0; c < components; c++) {
      for (let b = 0; b < 2; b++) {
        const samples: Sample[] = [];
        for (let p = 0; p < 75; p++) {
          const timeMs = t0 + (b * 75 + p) * 1000;
          for (const [metric, value] of Object.entries(healthyValues('web', timeMs / 1000, rand))) samples.push({ metric, value, timeMs });
        }
        await publishMetrics(bus, `lat-${c}`, samples, { kind: 'web', timeMs: samples[samples.length - 1].timeMs });
      }
    }
    // First arrival of each event type per component (core subscription: no JetStream delay).
    const stages = ['anomaly', 'diagnosis', 'plan', 'action'] as const;
    const seen = new Map<string, Partial<Record<(typeof stages)[number], number>>>();
    const actions = new Map<string, number>();
    // The component whose action is awaited, and how to wake the wait (no polling: a spinning
    // wait would take one of the two cores from the services being measured).
    let awaited = '';
    let wake: () => void = () => undefined;
    const sub = bus.nc.subscribe('x0.events.*.*');
    (async () => {
      for await (const m of sub) {
        const [, , type, component] = m.subject.split('.');
        if (!(stages as readonly string[]).includes(type)) continue;
        const at = performance.now();
        const times = seen.get(component) ?? {};
        times[type as (typeof stages)[number]] ??= at;
        seen.set(component, times);
        if (type === 'action' && !actions.has(component)) {
          actions.set(component, at);
          if (component === awaited) wake();
        }
      }
    })().catch(() => undefined);
    // Wait until the monitor has learnt every baseline.
    for (;;) {
      const ci = await bus.jsm.consumers.info(STREAMS.metrics.name, 'monitor');
      if (ci.num_pending === 0 && ci.num_ack_pending === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const latencies: number[] = [];
    const stageLatencies: Record<string, number[]> = Object.fromEntries(stages.map((s) => [s, []]));
    for (let c = 0; c < components; c++) {
      const component = `lat-${c}`;
      // One batch with two saturated samples: the second one opens the incident.
      const samples: Sample[] = [];
      for (let p = 0; p < 2; p++) {
        const timeMs = t0 + (150 + p) * 1000;
        const v = healthyValues('web', timeMs / 1000, rand);
        for (const [metric, value] of Object.entries({ ...v, cpu: 0.99, latency_ms: v.latency_ms * 4 })) samples.push({ metric, value, timeMs });
      }
      const started = performance.now();
      await publishMetrics(bus, component, samples, { kind: 'web', timeMs: samples[samples.length - 1].timeMs });
      if (!actions.has(component)) {
        awaited = component;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 5000);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      if (actions.has(component)) latencies.push(actions.get(component)! - started);
      const times = seen.get(component) ?? {};
      let previous = started;
      for (const stage of stages) {
        const at = times[stage];
        if (at === undefined) break;
        stageLatencies[stage].push(at - previous);
        previous = at;
      }
    }
    sub.unsubscribe();
    // The services' own handling time (decode → ack) next to the stage times: the difference is the bus.
    const client = new X0Client({ natsUrl: nats.url, addresses: stack.addresses() });
    for (const { service, stats } of await client.statistics()) {
      if (stats?.latency) process.stderr.write(`  ${service}: handler p50 ${stats.latency.p50Ms.toFixed(2)} ms, p99 ${stats.latency.p99Ms.toFixed(2)} ms, in ${stats.messagesIn}\n`);
    }
    await client.close();
    if (latencies.length < components * 0.9) throw new Error(`only ${latencies.length} of ${components} incidents reached an action`);
    latencies.sort((a, b) => a - b);
    return [
      { bench: 'loop.latency_p50_ms', value: round(quantileSorted(latencies, 0.5)), unit: 'ms' },
      { bench: 'loop.latency_p99_ms', value: round(quantileSorted(latencies, 0.99)), unit: 'ms' },
      { bench: 'loop.latency_samples', value: latencies.length, unit: 'incidents' },
      // Where the time goes: each stage from the previous event (monitor: from the publish).
      ...stages.map((stage) => ({ bench: `loop.stage_${stage}_p50_ms`, value: round(quantileSorted(stageLatencies[stage].sort((a, b) => a - b), 0.5)), unit: 'ms' })),
    ];
  });
}

/** Incidents per second through analyze → plan → execute (dry-run). */
export async function throughput(): Promise<Figure[]> {
  const incidents = 5000;
  return withStack(undefined, { PLAN_GUARDRAILS_FILE: openGuardrailsFile(), EXECUTE_VERIFY_WINDOW_S: '1' }, async ({ bus, stack, nats }) => {
    await stack.start(90_000);
    const pids: Array<[string, number]> = [...[...stack.procs.values()].map((p): [string, number] => [p.name, p.child.pid!]), ['nats-server', nats.pid]];
    const cpuBefore = pids.map(([, pid]) => processCpuMs(pid));
    let actions = 0;
    let last = 0;
    const sub = bus.nc.subscribe('x0.events.action.>');
    (async () => {
      for await (const _m of sub) {
        actions++;
        last = performance.now();
      }
    })().catch(() => undefined);
    const rand = rng(4);
    const started = performance.now();
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < incidents; i++) {
      const a = Anomaly.fromPartial({
        meta: { id: `an_tp${i}`, parentId: `mb_tp${i}`, component: `tp-${i}`, timeMs: Date.now(), source: 'bench' },
        score: 0.95,
        severity: Severity.SEVERITY_HIGH,
        metrics: [{ metric: 'cpu', value: 0.97, expected: 0.3, score: 0.95 }],
        signature: Array.from({ length: 64 }, () => rand() - 0.5),
        kind: 'web',
      });
      pending.push(publishMessage(bus.js, { subject: eventSubject('anomaly', a.meta!.component), data: EVENT_CODECS.anomaly.encode(a), id: a.meta!.id }));
      if (pending.length >= 500) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
    const deadline = Date.now() + 180_000;
    // Progress on stderr, once a second: which consumer holds the backlog shows the slowest stage.
    let report = Date.now() + 1000;
    while (actions < incidents && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      if (Date.now() < report) continue;
      report = Date.now() + 1000;
      const backlog: string[] = [];
      for await (const ci of bus.jsm.consumers.list(STREAMS.events.name)) if (ci.config.durable_name) backlog.push(`${ci.name} ${ci.num_pending + ci.num_ack_pending}`);
      process.stderr.write(`  ${Math.round(performance.now() - started)} ms: ${actions} actions; backlog ${backlog.sort().join(', ')}\n`);
    }
    sub.unsubscribe();
    // CPU seconds each process used for the run (until every action was seen): who the two cores worked for.
    const cpu = pids.map(([name, pid], i) => `${name} ${((processCpuMs(pid) - cpuBefore[i]) / 1000).toFixed(2)}`);
    process.stderr.write(`  CPU s over ${((performance.now() - started) / 1000).toFixed(1)} s: ${cpu.join(', ')}\n`);
    if (actions < incidents) throw new Error(`only ${actions} of ${incidents} incidents reached an action in time`);
    return [
      { bench: 'loop.throughput_per_s', value: Math.round(incidents / ((last - started) / 1000)), unit: 'incidents/s' },
      { bench: 'loop.throughput_incidents', value: incidents, unit: 'incidents' },
    ];
  });
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

export async function run(): Promise<Figure[]> {
  const which = process.argv.slice(2).filter((a) => ['ingest', 'latency', 'throughput'].includes(a));
  const out: Figure[] = [];
  if (which.length === 0 || which.includes('ingest')) out.push(...(await ingest()));
  if (which.length === 0 || which.includes('latency')) out.push(...(await latency()));
  if (which.length === 0 || which.includes('throughput')) out.push(...(await throughput()));
  return out;
}

runWhenMain(module, run);
