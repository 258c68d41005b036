import fs from 'node:fs';
import type { Command } from 'commander';
import { subjectToken } from '@x0/contracts';
import { fail } from './output';
import { usingClient } from './client-session';
import { asUsage } from './failure';

/** `x0 publish <component> cpu=0.93 mem=0.41 [--kind web]`, or `--file batch.json`. */
export function registerPublish(program: Command): void {
  program
    .command('publish')
    .description('publish metric samples for a component onto x0.metrics.<component>')
    .argument('<component>', 'component name (a NATS subject token)')
    .argument('[samples...]', 'metric=value pairs, e.g. cpu=0.93 latency_ms=120')
    .option('--kind <kind>', 'component kind (web, db, queue, ...)')
    .option('--file <path>', 'JSON object of metric → value, or an array of such objects (one batch each)')
    .option('--time <ms>', 'sample time in ms since the epoch (default now)')
    .action(async (component: string, pairs: string[], opts: { kind?: string; file?: string; time?: string }) => {
      // Checked before connecting: a bad name is a usage error even when NATS is down.
      asUsage(() => subjectToken(component, 'component'));
      const batches: Array<Record<string, number>> = [];
      if (opts.file) {
        const parsed: unknown = JSON.parse(fs.readFileSync(opts.file, 'utf8'));
        for (const b of Array.isArray(parsed) ? parsed : [parsed]) batches.push(b as Record<string, number>);
      }
      if (pairs.length > 0) {
        const metrics: Record<string, number> = {};
        for (const p of pairs) {
          const m = /^([^=\s]+)=(.+)$/.exec(p);
          if (!m) fail(`'${p}' is not metric=value`, 2);
          const v = Number(m[2]);
          if (!Number.isFinite(v)) fail(`'${p}': value must be a finite number`, 2);
          metrics[m[1]] = v;
        }
        batches.push(metrics);
      }
      if (batches.length === 0) fail('nothing to publish: give metric=value pairs or --file', 2);
      const time = opts.time ? Number(opts.time) : undefined;
      if (time !== undefined && !(Number.isInteger(time) && time > 0)) fail('--time must be ms since the epoch', 2);
      await usingClient('x0-publish', async (client) => {
        for (const metrics of batches) {
          const b = await client.publishMetrics(component, metrics, { kind: opts.kind, timeMs: time });
          process.stdout.write(`published ${b.samples.length} sample(s) for ${component} as ${b.id}\n`);
        }
      });
    });
}
