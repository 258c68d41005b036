/**
 * Analyze-phase latency with retrieval, at 10,000 stored incidents (knowledge + analyze as real
 * processes on a real nats-server):
 *
 * analyze.latency_p99_ms      p99 of analyze's own handling time per anomaly (take → evidence
 *                             request to knowledge → diagnosis published → ack), from GetStatistics,
 *                             over 8,192 anomalies sent after 500 unmeasured warm-up ones
 * analyze.latency_p50_ms      the same, p50
 * analyze.e2e_p99_ms          anomaly published → diagnosis received by a subscriber (adds two
 *                             JetStream hops)
 * analyze.incidents_stored    incidents in the store when measured
 * analyze.cpu_ms_per_anomaly  CPU time (user + system, from /proc) of the analyze process per probe
 * knowledge.cpu_ms_per_evidence  the same for the knowledge process (one evidence request per probe)
 * analyze.load_average_1m     the machine's 1-minute load average when the probes ended (timings on
 *                             a shared machine depend on it; the CPU figures much less)
 *
 * The probe loop waits for each diagnosis without spinning (a busy-waiting benchmark would take
 * a core from the processes it measures on a small machine).
 *
 *   npx tsx tools/bench/analyze.bench.ts
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { quantileSorted } from '@x0/core';
import { connectBus, provisionStreams, publishMessage } from '@x0/bus';
import { startNatsServer } from '@x0/bus/testing';
import { X0Client } from '@x0/client';
import { Anomaly, EVENT_CODECS, Outcome, Severity, Verdict, eventSubject } from '@x0/contracts';
import { rng, gaussian } from '@x0/demo';
import { Stack } from '../dev/stack';
import { processCpuMs, runWhenMain, type Figure } from './figure';


const STORED = 10_000;
/**
 * Anomalies sent first and not measured: the analyze process has handled nothing before them
 * (the stored incidents went to knowledge), so they carry JIT warm-up and first-use costs.
 */
const WARMUP = Number(process.env.ANALYZE_BENCH_WARMUP ?? 500);
/**
 * Measured anomalies. GetStatistics' latency quantiles cover the service's last 8,192 handled
 * inputs, so with 8,192 probes they are the probes' alone (warm-up excluded).
 */
const PROBES = Number(process.env.ANALYZE_BENCH_PROBES ?? 8192);
const DIM = 64;

function signature(rand: () => number, cluster: number): number[] {
  const v = Array.from({ length: DIM }, (_, i) => Math.sin((cluster + 1) * (i + 1)) + 0.3 * gaussian(rand));
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

export async function run(): Promise<Figure[]> {
  const nats = await startNatsServer();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'x0-bench-analyze-'));
  const bus = await connectBus({ url: nats.url, name: 'bench' });
  await provisionStreams(bus.jsm);
  const stack = new Stack({ natsUrl: nats.url, dataDir, services: ['knowledge', 'analyze'], env: { LOG_LEVEL: 'warn', KNOWLEDGE_FSYNC: 'false' } });
  const rand = rng(11);
  const causes = ['cpu_saturation', 'memory_leak', 'latency_spike', 'error_burst', 'queue_backlog'];
  const actions = ['scale_up', 'restart', 'throttle', 'clear_cache', 'failover'];
  try {
    await stack.start();
    const client = new X0Client({ natsUrl: nats.url, addresses: stack.addresses() });
    // 10,000 past incidents, recorded the way the loop records them: through Outcome events.
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < STORED; i++) {
      const cluster = i % causes.length;
      const o = Outcome.fromPartial({
        meta: { id: `oc_b${i}`, parentId: `ac_b${i}`, component: `svc-${i % 200}`, timeMs: Date.now() - (STORED - i) * 1000, source: 'bench' },
        incident: { anomalyId: `an_b${i}`, component: `svc-${i % 200}`, kind: 'web', cause: causes[cluster], action: actions[cluster], policyId: `p-${cluster}`, signature: signature(rand, cluster), severity: Severity.SEVERITY_HIGH, score: 0.9 },
        actionId: `ac_b${i}`,
        verdict: Verdict.VERDICT_RECOVERED,
        recovered: true,
        timeToRecoverMs: 20_000,
      });
      pending.push(publishMessage(bus.js, { subject: eventSubject('outcome', o.meta!.component), data: EVENT_CODECS.outcome.encode(o), id: o.meta!.id }));
      if (pending.length >= 500) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
    for (;;) {
      const ci = await bus.jsm.consumers.info('X0_EVENTS', 'knowledge');
      if (ci.num_pending === 0 && ci.num_ack_pending === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }

    const received = new Map<string, number>();
    let wake: (() => void) | undefined;
    const sub = bus.nc.subscribe('x0.events.diagnosis.>', {
      callback: (_err, m) => {
        received.set(EVENT_CODECS.diagnosis.decode(m.data).meta!.parentId, performance.now());
        wake?.();
      },
    });
    const sent = new Map<string, number>();
    // One at a time, as anomalies arrive in practice: latency, not a queue, is measured.
    const probe = async (name: string, i: number): Promise<void> => {
      const cluster = i % causes.length;
      const a = Anomaly.fromPartial({
        meta: { id: `an_${name}${i}`, parentId: `mb_${name}${i}`, component: `${name}-${i}`, timeMs: Date.now(), source: 'bench' },
        score: 0.9,
        severity: Severity.SEVERITY_HIGH,
        metrics: [{ metric: ['cpu', 'heap_mb', 'latency_ms', 'http_5xx_rate', 'queue_depth'][cluster], value: 10, expected: 1, score: 0.95 }],
        signature: signature(rand, cluster),
        kind: 'web',
      });
      sent.set(a.meta!.id, performance.now());
      await publishMessage(bus.js, { subject: eventSubject('anomaly', a.meta!.component), data: EVENT_CODECS.anomaly.encode(a), id: a.meta!.id });
      const until = Date.now() + 5000;
      while (!received.has(a.meta!.id) && Date.now() < until) {
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 100);
        });
      }
    };
    for (let i = 0; i < WARMUP; i++) await probe('warm', i);
    sent.clear();
    const cpuBefore = { analyze: processCpuMs(stack.procs.get('analyze')!.child.pid!), knowledge: processCpuMs(stack.procs.get('knowledge')!.child.pid!) };
    const before = (await client.services.analyze.getStatistics({})).latency?.count ?? 0;
    for (let i = 0; i < PROBES; i++) await probe('probe', i);
    sub.unsubscribe();
    const cpu = { analyze: processCpuMs(stack.procs.get('analyze')!.child.pid!) - cpuBefore.analyze, knowledge: processCpuMs(stack.procs.get('knowledge')!.child.pid!) - cpuBefore.knowledge };
    const load = os.loadavg()[0];
    // The last diagnosis can reach this subscriber before analyze has acked its input and
    // counted it: give the count a moment to catch up.
    let stats = await client.services.analyze.getStatistics({});
    for (let tries = 0; (stats.latency?.count ?? 0) - before < PROBES && tries < 20; tries++) {
      await new Promise((r) => setTimeout(r, 100));
      stats = await client.services.analyze.getStatistics({});
    }
    const e2e = [...sent].filter(([id]) => received.has(id)).map(([id, t]) => received.get(id)! - t).sort((x, y) => x - y);
    await client.close();
    const handled = (stats.latency?.count ?? 0) - before;
    if (handled < PROBES) throw new Error(`analyze handled ${handled} of ${PROBES} probes (${e2e.length} diagnoses seen)`);
    return [
      { bench: 'analyze.latency_p99_ms', value: round(stats.latency!.p99Ms), unit: 'ms' },
      { bench: 'analyze.latency_p50_ms', value: round(stats.latency!.p50Ms), unit: 'ms' },
      { bench: 'analyze.e2e_p99_ms', value: round(quantileSorted(e2e, 0.99)), unit: 'ms' },
      { bench: 'analyze.incidents_stored', value: STORED, unit: 'incidents' },
      ...(cpu.analyze >= 0
        ? [
            { bench: 'analyze.cpu_ms_per_anomaly', value: round(cpu.analyze / PROBES), unit: 'ms' },
            { bench: 'knowledge.cpu_ms_per_evidence', value: round(cpu.knowledge / PROBES), unit: 'ms' },
          ]
        : []),
      { bench: 'analyze.load_average_1m', value: round(load), unit: 'load' },
    ];
  } finally {
    await stack.stop();
    await bus.drain();
    await nats.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}


function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

runWhenMain(module, run);
