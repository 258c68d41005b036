import os from 'node:os';
import type { Command } from 'commander';
import { table } from './output';
import { withClient } from './client-session';
import { UsageError } from './failure';

/** `x0 pending`, `x0 approve <plan-id>`, `x0 reject <plan-id>`, `x0 actions [component]`: the execute service. */
export function registerApprovals(program: Command): void {
  program
    .command('pending')
    .description('plans waiting for an operator (high-risk actions)')
    .option('--json', 'JSON output')
    .action((opts: { json?: boolean }) =>
      withClient('x0-pending', async (client) => {
        const { pending } = await client.services.execute.listPending({});
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(pending)}\n`);
          return;
        }
        if (pending.length === 0) {
          process.stdout.write('no plan is waiting for approval\n');
          return;
        }
        const now = Date.now();
        const rows = [['PLAN', 'COMPONENT', 'ACTION', 'WAITING', 'EXPIRES IN', 'WHY']];
        for (const p of pending) rows.push([p.planId, p.component, p.action, secs(now - p.requestedMs), secs(p.expiresMs - now), p.reason]);
        process.stdout.write(`${table(rows)}\nx0 approve <plan> [--reason ...] | x0 reject <plan> [--reason ...]; x0 explain <plan> says why\n`);
      }),
    );

  for (const verb of ['approve', 'reject'] as const) {
    program
      .command(`${verb} <plan-id>`)
      .description(`${verb} a plan waiting for approval (recorded with who and why as an Approval event)`)
      .option('--reason <text>', 'why (kept in the audit trail)', '')
      .option('--actor <name>', 'who decides (default: your user name)', defaultActor())
      .action((planId: string, opts: { reason: string; actor: string }) => {
        if (!opts.actor.trim()) throw new UsageError('--actor must name who decides (it is kept in the audit trail)');
        return withClient(`x0-${verb}`, async (client) => {
          const req = { planId, actor: opts.actor, reason: opts.reason };
          const res = verb === 'approve' ? await client.services.execute.approve(req) : await client.services.execute.reject(req);
          // Execute re-checks an approved plan: if the incident closed meanwhile the action is skipped.
          const next = res.status === 'approved' ? '; execute runs the action unless the component has recovered meanwhile (then it is skipped) — follow with x0 events --type action,outcome' : '';
          process.stdout.write(`${res.planId} ${res.status} by ${opts.actor}${next}\n`);
        });
      });
  }

  program
    .command('actions [component]')
    .description('what each component can do (its agent’s advertisement, or configuration), and the configured executors')
    .option('--json', 'JSON output')
    .action((component: string | undefined, opts: { json?: boolean }) =>
      withClient('x0-actions', async (client) => {
        const r = await client.services.execute.listActions({ component: component ?? '' });
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(r)}\n`);
          return;
        }
        const rows = [['COMPONENT', 'SOURCE', 'UPDATED', 'ACTIONS']];
        for (const c of r.components) rows.push([c.component, c.source, new Date(c.updatedMs).toISOString().slice(0, 19), c.actions.join(', ') || '(none)']);
        if (r.components.length > 0) process.stdout.write(`${table(rows)}\n`);
        else process.stdout.write(component ? `${component}: unknown (no agent answered; any policy's action may be tried)\n` : 'no component actions known yet\n');
        process.stdout.write(`executors: ${r.executors.join(', ')}\n`);
      }),
    );
}

function defaultActor(): string {
  try {
    return process.env['X0_ACTOR'] || process.env['USER'] || os.userInfo().username;
  } catch {
    return 'operator';
  }
}

function secs(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 120 ? `${s}s` : `${Math.round(s / 60)}m`;
}
