import type { Command } from 'commander';
import { X0Client } from '@x0/client';
import { table } from './output';

/** `x0 status`: gRPC health of the six services; exits 1 unless all are SERVING. */
export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('health of every service (gRPC grpc.health.v1)')
    .option('--json', 'JSON output')
    .action(async (opts: { json?: boolean }) => {
      const client = new X0Client({ name: 'x0-status' });
      try {
        const health = await client.health();
        if (opts.json) process.stdout.write(`${JSON.stringify(health)}\n`);
        else process.stdout.write(`${table([['SERVICE', 'ADDRESS', 'STATUS'], ...health.map((h) => [h.service, h.address, h.status])])}\n`);
        const healthy = health.filter((h) => h.status === 'SERVING').length;
        if (!opts.json) process.stdout.write(`${healthy}/${health.length} services serving\n`);
        process.exitCode = healthy === health.length ? 0 : 1;
      } finally {
        await client.close();
      }
    });
}

/** `x0 stats`: GetStatistics of every service; exits 1 when any is unreachable or fails. */
export function registerStats(program: Command): void {
  program
    .command('stats')
    .description('messages in/out, errors, dead letters, latency and models of every service')
    .option('--json', 'JSON output')
    .action(async (opts: { json?: boolean }) => {
      const client = new X0Client({ name: 'x0-stats' });
      try {
        const all = await client.statistics();
        const failed = all.filter((s) => !s.stats).length;
        process.exitCode = failed === 0 ? 0 : 1;
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(all)}\n`);
          return;
        }
        const rows = [['SERVICE', 'IN', 'OUT', 'ERRORS', 'DLQ', 'P50 ms', 'P99 ms', 'MODELS', 'UPTIME']];
        for (const { service, stats, error } of all) {
          if (!stats) rows.push([service, '-', '-', '-', '-', '-', '-', error ?? 'failed', '-']);
          else
            rows.push([
              service,
              String(stats.messagesIn),
              String(stats.messagesOut),
              String(stats.errors),
              String(stats.deadLettered),
              (stats.latency?.p50Ms ?? 0).toFixed(2),
              (stats.latency?.p99Ms ?? 0).toFixed(2),
              stats.models.map((m) => `${m.name}@${m.version}${m.backend ? `/${m.backend}` : ''}`).join(' ') || '-',
              `${Math.round(stats.uptimeS)}s`,
            ]);
        }
        process.stdout.write(`${table(rows)}\n`);
        if (failed > 0) process.stdout.write(`${failed}/${all.length} services did not answer\n`);
      } finally {
        await client.close();
      }
    });
}
