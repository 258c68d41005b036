import { formatUtc } from '@x0/core';
import type { Command } from 'commander';
import { formatDeadLetter, X0Client } from '@x0/client';
import { SERVICE_NAMES } from '@x0/service-kit';
import { abortOnSignals, fail, sinceOption } from './output';

/** `x0 dlq [--service monitor] [--since 1h] [--follow] [--json] [--payload]`: what the services refused, and why. */
export function registerDlq(program: Command): void {
  program
    .command('dlq')
    .description('show dead letters: the inputs a service refused or failed on, with the reason (X0_DLQ)')
    .option('-f, --follow', 'keep watching for new dead letters')
    .option('--json', 'one JSON object per line (service, kind, subject, reason, time, deliveries, payload_bytes, payload, input_seq, seq)')
    .option('--since <duration>', 'start this far back, e.g. 15m, 1h (default: 1h, or only new letters with --follow)')
    .option('--service <name>', `only this service's: ${SERVICE_NAMES.join(', ')}`)
    .option('--payload', 'also print the start of each input (200 characters)')
    .action(async (opts: { follow?: boolean; json?: boolean; since?: string; service?: string; payload?: boolean }) => {
      const sinceMs = sinceOption(opts.since, !!opts.follow);
      if (opts.service !== undefined && !(SERVICE_NAMES as readonly string[]).includes(opts.service)) {
        fail(`--service: unknown service '${opts.service}' (one of ${SERVICE_NAMES.join(', ')})`, 2);
      }
      const client = new X0Client({ name: 'x0-dlq' });
      const signal = abortOnSignals();
      let shown = 0;
      try {
        for await (const d of client.deadLetters({ sinceMs, follow: !!opts.follow, service: opts.service, signal })) {
          shown++;
          if (opts.json) process.stdout.write(`${JSON.stringify(d)}\n`);
          else process.stdout.write(`${formatDeadLetter(d)}\n${opts.payload ? `    ${d.payload}\n` : ''}`);
        }
      } finally {
        await client.close();
      }
      if (shown === 0 && !opts.follow && !opts.json) process.stderr.write(`x0: no dead letters${opts.service ? ` of ${opts.service}` : ''} since ${formatUtc(sinceMs ?? 0)} UTC\n`);
    });
}
