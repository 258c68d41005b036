import { incidentOfContext } from '@x0/contracts';
import os from 'node:os';
import type { Command } from 'commander';
import type { EventRecord, X0Client } from '@x0/client';
import { errorMessage } from '@x0/core';
import { table } from './output';
import { withClient } from './client-session';
import { UsageError } from './failure';
import { askedBefore, meanwhile, type PendingRequest } from './pending-format';

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
        // Each plan's incident (for ASKED BEFORE): the events are read from the incident's start.
        const plans = await Promise.all(pending.map((p) => client.services.plan.explain({ planId: p.planId }).catch(() => undefined)));
        const requests: PendingRequest[] = pending.map((p, i) => ({ ...p, incidentId: incidentOfContext(plans[i]?.incident) }));
        const starts = plans.map((pl, i) => Math.min(pending[i].requestedMs, pl?.incident?.incidentStartMs || pending[i].requestedMs));
        const { records, error } = await eventsSince(client, Math.min(...starts));
        const since = meanwhile(requests, records, now);
        const before = askedBefore(requests, records, now);
        const rows = [['PLAN', 'COMPONENT', 'ACTION', 'WAITING', 'EXPIRES IN', 'WHY', 'SINCE THEN', 'ASKED BEFORE']];
        for (const p of pending) {
          const known = error || !requests.find((r) => r.planId === p.planId)?.incidentId ? '?' : (before.get(p.planId) ?? '-');
          rows.push([p.planId, p.component, p.action, secs(now - p.requestedMs), secs(p.expiresMs - now), p.reason, error ? '?' : (since.get(p.planId) ?? '-'), known]);
        }
        process.stdout.write(`${table(rows)}\n`);
        if (error) process.stdout.write(`SINCE THEN unknown: the events could not be read (${error})\n`);
        process.stdout.write('x0 approve <plan> [--reason ...] | x0 reject <plan> [--reason ...]; x0 explain <plan> says why; x0 audit --component <c> tells the rest\n');
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
          const next = res.status === 'approved' ? '; execute runs the action unless the component has recovered or its incident has ended meanwhile (then it is skipped) — follow with x0 events --type action,outcome' : '';
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

/** The anomalies, outcomes, plans and approvals since `sinceMs` (for SINCE THEN and ASKED BEFORE); at most 5 s, and an error instead of failing the listing. */
async function eventsSince(client: X0Client, sinceMs: number): Promise<{ records: EventRecord[]; error?: string }> {
  const records: EventRecord[] = [];
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort();
      reject(new Error('no answer from NATS in 5 s'));
    }, 5000);
  });
  const read = (async () => {
    for await (const e of client.events({ sinceMs, follow: false, types: ['anomaly', 'outcome', 'plan', 'approval'], signal: abort.signal })) records.push(e);
  })();
  try {
    await Promise.race([read, timeout]);
    return { records };
  } catch (err) {
    read.catch(() => undefined);
    return { records: [], error: errorMessage(err) };
  } finally {
    clearTimeout(timer);
  }
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
