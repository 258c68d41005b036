/**
 * Execute-phase benchmark: dispatch latency through the ExecutorRegistry (request
 * validation, allowlist, idempotency guard, executor).
 *
 *   npx tsx tools/bench/execute.bench.ts
 *
 * execute.dispatch_p99_ms          p99 of a NATS-agent dispatch: request/reply to a local
 *                                  responder through a real nats-server on 127.0.0.1
 * execute.dispatch_p50_ms          p50 of the same
 * execute.dispatch_dry_run_p99_ms  p99 of a dry-run dispatch (no I/O: the library's own cost)
 */
import { performance } from 'node:perf_hooks';
import { connect } from '@nats-io/transport-node';
import { startNatsServer } from '@x0/bus/testing';
import { LatencyWindow } from '@x0/core';
import { createExecutorRegistry, type ExecutorRegistry } from '@x0/executors';
import { startFakeAgent } from '../../libs/executors/src/testing';
import { runWhenMain, type Figure } from './figure';


async function measure(registry: ExecutorRegistry, n: number, dryRun: boolean): Promise<{ p50: number; p99: number }> {
  const w = new LatencyWindow(n);
  for (let i = -Math.min(500, n); i < n; i++) {
    const t0 = performance.now();
    const res = await registry.dispatch({
      executor: 'agent',
      component: 'bench-1',
      action: 'restart',
      params: { graceful: 'true' },
      idempotencyKey: `bench-${dryRun ? 'dry' : 'run'}-${i}`,
      dryRun,
      deadline: Date.now() + 5000,
    });
    if (res.status === 'failed') throw new Error(res.message);
    if (i >= 0) w.record(performance.now() - t0);
  }
  const s = w.snapshot();
  return { p50: s.p50, p99: s.p99 };
}

export async function run(): Promise<Figure[]> {
  const server = await startNatsServer();
  const nc = await connect({ servers: server.url });
  try {
    const agent = startFakeAgent(nc, 'bench-1', { restart: () => ({ ok: true }) });
    await nc.flush();
    const registry = createExecutorRegistry({ executors: { agent: { type: 'nats_agent', timeout_ms: 2000 } } }, { nc, idempotency: { maxEntries: 50_000 } });
    const live = await measure(registry, 5000, false);
    const dry = await measure(registry, 20_000, true);
    agent.stop();
    return [
      { bench: 'execute.dispatch_p99_ms', value: round(live.p99), unit: 'ms' },
      { bench: 'execute.dispatch_p50_ms', value: round(live.p50), unit: 'ms' },
      { bench: 'execute.dispatch_dry_run_p99_ms', value: round(dry.p99), unit: 'ms' },
    ];
  } finally {
    await nc.drain();
    await server.stop();
  }
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

runWhenMain(module, run);
