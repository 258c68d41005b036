import type { Command } from 'commander';
import { formatEvent, X0Client, type EventRecord } from '@x0/client';
import { EVENT_TYPES } from '@x0/contracts';
import { fail, parseDuration } from './output';

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
      let sinceMs: number | undefined;
      if (opts.since) {
        const d = parseDuration(opts.since);
        if (d === undefined) fail(`--since: '${opts.since}' is not a duration like 90s, 15m, 1h, 2d`, 2);
        sinceMs = Date.now() - d;
      } else if (!opts.follow) sinceMs = Date.now() - 3_600_000;
      const types = opts.type?.split(',').map((t) => t.trim()) as EventRecord['type'][] | undefined;
      for (const t of types ?? []) if (![...EVENT_TYPES, 'model'].includes(t)) fail(`--type: unknown event type '${t}'`, 2);
      const client = new X0Client({ name: 'x0-events' });
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      process.once('SIGTERM', () => abort.abort());
      const color = !opts.json && process.stdout.isTTY === true;
      try {
        for await (const e of client.events({ sinceMs, follow: !!opts.follow, types, component: opts.component, signal: abort.signal })) {
          process.stdout.write(opts.json ? `${JSON.stringify(e)}\n` : `${formatEvent(e, color)}\n`);
        }
      } finally {
        await client.close();
      }
    });
}
