import type { Command } from 'commander';
import { X0Client } from '@x0/client';
import { DemoSimulator, FAULT_KINDS, type DemoEvent, type FaultKind } from '@x0/demo';
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
    .action(async (opts: { rate: string; faultEvery: string; firstFault: string; backfill: string; faults?: string; seed?: string }) => {
      const num = (name: string, v: string) => {
        const n = Number(v);
        if (!Number.isFinite(n) || n <= 0) fail(`--${name} must be a positive number, got '${v}'`, 2);
        return n;
      };
      const kinds = opts.faults?.split(',').map((k) => k.trim()) as FaultKind[] | undefined;
      for (const k of kinds ?? []) if (!FAULT_KINDS.includes(k)) fail(`--faults: unknown fault '${k}'`, 2);
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
        onEvent: (e) => process.stdout.write(`${describe(e)}\n`),
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

function describe(e: DemoEvent): string {
  const t = new Date(e.timeMs).toISOString().slice(11, 23);
  switch (e.type) {
    case 'fault':
      return `${t} demo: injected ${e.fault} into ${e.component}`;
    case 'action':
      return `${t} demo: agent of ${e.component} performed ${e.action}${e.fixes ? ' (this fixes the fault)' : ' (no effect on the fault)'}`;
    case 'recovered':
      return `${t} demo: ${e.component} recovered from ${e.fault} after ${(e.afterMs / 1000).toFixed(1)} s`;
    case 'error':
      return `${t} demo: ${e.message}`;
  }
}
