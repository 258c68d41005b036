/**
 * The whole loop on the demo's injected faults: monitor, analyze, plan, execute and knowledge
 * as processes (tools/dev/stack.ts) on a nats-server started here, the DemoSimulator's three
 * components publishing metrics and answering as agents, and faults injected every ~12 s.
 * Nobody approves anything: what the loop fixes, it fixes on its own.
 *
 * demo.mttr_s      mean time from a fault's injection to the component's recovery (the
 *                  demo's own clock: detection, diagnosis, plan, action, the fix's 1.5 s delay),
 *                  over the faults injected before the cut-off that recovered
 * demo.faults      faults injected before the cut-off (the last 30 s are still in progress)
 * demo.recovered   of those, how many the loop fixed without a human
 *
 *   npx tsx tools/bench/demo.bench.ts        (~3 minutes; DEMO_BENCH_S=<seconds> to change the run)
 *
 * The demo compresses time (a fault every ~12 s on three components), so the run uses
 * PLAN_MAX_COOLDOWN_S=20 (production cooldowns are 5–30 min), MONITOR_REALERT_S=20 (an
 * incident still open after 20 s is announced again, so the loop tries the next action), and
 * a 15 s verification window with a 3 s hold. dependency_down is left out: only `failover`
 * fixes it, and failover is high risk — it waits for an operator by design.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectBus, provisionStreams } from '@x0/bus';
import { startNatsServer } from '@x0/bus/testing';
import { DemoSimulator, FAULT_KINDS, type DemoEvent } from '@x0/demo';
import { ROOT, Stack } from '../dev/stack';
import { runWhenMain, type Figure } from './figure';


const SERVICES = ['monitor', 'analyze', 'plan', 'execute', 'knowledge'] as const;
const TAIL_S = 30;

export async function run(): Promise<Figure[]> {
  const runS = Number(process.env['DEMO_BENCH_S'] ?? 150);
  execFileSync(process.execPath, [path.join(ROOT, 'tools/build/build.mjs'), ...SERVICES], { stdio: ['ignore', process.stderr, process.stderr] });
  const nats = await startNatsServer();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'x0-demo-bench-'));
  const bus = await connectBus({ url: nats.url, name: 'demo-bench' });
  await provisionStreams(bus.jsm);
  const stack = new Stack({
    natsUrl: nats.url,
    dataDir,
    services: SERVICES,
    env: {
      LOG_LEVEL: 'warn',
      MONITOR_WARMUP_SAMPLES: '100',
      MONITOR_REALERT_S: '20',
      PLAN_MAX_COOLDOWN_S: '20',
      EXECUTE_VERIFY_WINDOW_S: '15',
      EXECUTE_VERIFY_HOLD_S: '3',
    },
  });
  const faults: Array<{ component: string; at: number; recoveredAfterMs?: number }> = [];
  let sim: DemoSimulator | undefined;
  try {
    await stack.start(120_000);
    const onEvent = (e: DemoEvent) => {
      if (e.type === 'fault') faults.push({ component: e.component, at: e.timeMs });
      if (e.type === 'recovered') {
        const f = faults.find((x) => x.component === e.component && x.recoveredAfterMs === undefined);
        if (f) f.recoveredAfterMs = e.afterMs;
      }
      if (process.env['DEMO_BENCH_VERBOSE']) process.stderr.write(`demo.bench: ${JSON.stringify(e)}\n`);
    };
    sim = new DemoSimulator({
      bus,
      backfillS: 90,
      faultEveryS: 12,
      firstFaultAfterS: 5,
      faultKinds: FAULT_KINDS.filter((k) => k !== 'dependency_down'),
      seed: 7,
      onEvent,
    });
    await sim.start();
    const started = Date.now();
    await new Promise((r) => setTimeout(r, runS * 1000));
    sim.stop();
    const cutoff = started + (runS - TAIL_S) * 1000;
    const counted = faults.filter((f) => f.at <= cutoff);
    const recovered = counted.filter((f) => f.recoveredAfterMs !== undefined);
    const mttr = recovered.length > 0 ? recovered.reduce((a, f) => a + f.recoveredAfterMs!, 0) / recovered.length / 1000 : 0;
    return [
      { bench: 'demo.mttr_s', value: Math.round(mttr * 100) / 100, unit: 's' },
      { bench: 'demo.faults', value: counted.length, unit: 'count' },
      { bench: 'demo.recovered', value: recovered.length, unit: 'count' },
    ];
  } finally {
    sim?.stop();
    await stack.stop();
    await bus.drain();
    await nats.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

runWhenMain(module, run);
