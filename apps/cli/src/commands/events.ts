import type { Command } from 'commander';
import { formatEvent, X0Client, type EventRecord } from '@x0/client';
import { EVENT_TYPES } from '@x0/contracts';
import { abortOnSignals, fail, sinceOption } from './output';

/** `x0 events [--follow] [--json] [--since 1h] [--type anomaly,plan] [--component c]`. */
export function registerEvents(program: Command): void {
  program
    .command('events')
    .description('show the loop: one line per anomaly, diagnosis, plan, action and outcome')
    .option('-f, --follow', 'keep watching for new events')
    .option('--json', 'one JSON object per line (type, id, parent_id, component, time, summary, event)')
    .option('--since <duration>', 'start this far back, e.g. 15m, 1h (default: 1h, or only new events with --follow)')
    .option('--type <types>', `comma-separated: ${[...EVENT_TYPES, 'model'].join(',')}`)
    .option('--component <name>', 'only this component')
    .action(async (opts: { follow?: boolean; json?: boolean; since?: string; type?: string; component?: string }) => {
      const sinceMs = sinceOption(opts.since, !!opts.follow);
      const types = opts.type?.split(',').map((t) => t.trim()) as EventRecord['type'][] | undefined;
      for (const t of types ?? []) if (![...EVENT_TYPES, 'model'].includes(t)) fail(`--type: unknown event type '${t}'`, 2);
      const client = new X0Client({ name: 'x0-events' });
      const signal = abortOnSignals();
      const color = !opts.json && process.stdout.isTTY === true;
      try {
        for await (const e of client.events({ sinceMs, follow: !!opts.follow, types, component: opts.component, signal })) {
          process.stdout.write(opts.json ? `${JSON.stringify(e)}\n` : `${formatEvent(e, color)}\n`);
        }
      } finally {
        await client.close();
      }
    });
}
