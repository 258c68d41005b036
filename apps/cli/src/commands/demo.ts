import type { Command } from 'commander';
import { X0Client } from '@x0/client';
import { errorMessage } from '@x0/core';
import { DEFAULT_DEMO_COMPONENTS, DemoSimulator, describeDemoEvent, DRIFT_KINDS, FAULT_KINDS, parseDrift, type DemoDrift, type FaultKind } from '@x0/demo';
import { fail } from './output';

/** `x0 demo`: runs the simulated components (metrics + agents + injected faults) until Ctrl-C. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('simulate components that publish metrics, answer agent requests, and suffer a fault every so often')
    .option('--rate <hz>', 'samples per second per component', '5')
    .option('--fault-every <s>', 'seconds between injected faults', '45')
    .option('--first-fault <s>', 'seconds before the first fault', '20')
    .option('--backfill <s>', 'seconds of healthy history published first, so baselines are learnt at once (0 = none)', '90')
    .option('--faults <kinds>', `comma-separated fault kinds: ${FAULT_KINDS.join(',')}`)
    .option('--seed <n>', 'random seed')
    .option('--drift <component[:kind]>', `inject input drift into a component for good: ${DRIFT_KINDS.join(', ')} (default quiet)`)
    .option('--drift-after <s>', 'seconds after the start when the drift begins', '60')
    .action(async (opts: { rate: string; faultEvery: string; firstFault: string; backfill: string; faults?: string; seed?: string; drift?: string; driftAfter: string }) => {
      const num = (name: string, v: string) => {
        const n = Number(v);
        if (!Number.isFinite(n) || n <= 0) fail(`--${name} must be a positive number, got '${v}'`, 2);
        return n;
      };
      const kinds = opts.faults?.split(',').map((k) => k.trim()) as FaultKind[] | undefined;
      for (const k of kinds ?? []) if (!FAULT_KINDS.includes(k)) fail(`--faults: unknown fault '${k}'`, 2);
      let drift: DemoDrift | undefined;
      if (opts.drift !== undefined) {
        const after = Number(opts.driftAfter);
        if (!Number.isFinite(after) || after < 0) fail(`--drift-after must be a number of seconds ≥ 0, got '${opts.driftAfter}'`, 2);
        try {
          drift = parseDrift(opts.drift, after);
        } catch (err) {
          fail(`--drift: ${errorMessage(err)}`, 2);
        }
        const names = DEFAULT_DEMO_COMPONENTS.map((c) => c.name);
        if (!names.includes(drift!.component)) fail(`--drift: no demo component '${drift!.component}' (one of ${names.join(', ')})`, 2);
      }
      const client = new X0Client({ name: 'x0-demo' });
      const bus = await client.nats();
      const sim = new DemoSimulator({
        bus,
        rateHz: num('rate', opts.rate),
        faultEveryS: num('fault-every', opts.faultEvery),
        firstFaultAfterS: num('first-fault', opts.firstFault),
        backfillS: opts.backfill === '0' ? 0 : num('backfill', opts.backfill),
        faultKinds: kinds,
        seed: opts.seed ? Number(opts.seed) : undefined,
        drift,
        onEvent: (e) => process.stdout.write(`${new Date(e.timeMs).toISOString().slice(11, 23)} demo: ${describeDemoEvent(e)}\n`),
      });
      await sim.start();
      process.stdout.write(`demo: demo-web, demo-db, demo-queue publishing at ${opts.rate} Hz; first fault in ${opts.firstFault}s (Ctrl-C to stop)\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      sim.stop();
      const s = sim.summary();
      process.stdout.write(`demo: ${s.injected} fault(s) injected, ${s.recovered} recovered, mean time to recovery ${(s.mttrMs / 1000).toFixed(1)} s\n`);
      await client.close();
    });
}
