import type { Command } from 'commander';
import { parseSeverity, severityToProto, type CandidateAction } from '@x0/contracts';
import { fail } from './output';
import { formatExplanation, formatPlan } from './plan-format';
import { withClient } from './client-session';

/** `x0 rank`: what-if ranking (nothing is done); `x0 explain <plan-id>`: why a plan decided what it did. */
export function registerRank(program: Command): void {
  program
    .command('rank')
    .description('what-if: rank the policies for a diagnosis, with the guardrails, without acting')
    .requiredOption('--component <name>', 'component')
    .option('--kind <kind>', "component kind (web, db, queue, ...); default: the kind of the component's diagnoses", '')
    .option('--severity <level>', 'low, medium or high', 'high')
    .option('--cause <cause>', 'diagnosed cause (cpu_saturation, memory_leak, ...)', '')
    .option('--candidate <action:similar:successes:support>', 'evidence from similar incidents (repeatable), e.g. restart:6:5:0.7', collect, [])
    .option('--json', 'JSON output')
    .action((opts: { component: string; kind: string; severity: string; cause: string; candidate: string[]; json?: boolean }) => {
      const severity = parseSeverity(opts.severity);
      if (!severity || severity === 'none') fail(`--severity must be low, medium or high, got '${opts.severity}'`, 2);
      const candidates = opts.candidate.map(parseCandidate);
      return withClient('x0-rank', async (client) => {
        const e = await client.services.plan.rank({ component: opts.component, kind: opts.kind, severity: severityToProto(severity), cause: opts.cause, candidates });
        process.stdout.write(opts.json ? `${JSON.stringify(e)}\n` : `${formatExplanation(e)}\n`);
      });
    });

  program
    .command('explain <plan-id>')
    .description('why a recent plan chose what it chose: ranking with the three score terms, guardrails, evidence')
    .option('--json', 'JSON output')
    .action((planId: string, opts: { json?: boolean }) =>
      withClient('x0-explain', async (client) => {
        const p = await client.services.plan.explain({ planId });
        process.stdout.write(opts.json ? `${JSON.stringify(p)}\n` : `${formatPlan(p)}\n`);
      }),
    );
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

function parseCandidate(text: string): CandidateAction {
  const [action, similar, successes, support] = text.split(':');
  const n = Number(similar);
  const s = Number(successes);
  const w = Number(support ?? 1);
  if (!action || !Number.isInteger(n) || !Number.isInteger(s) || !(w >= 0 && w <= 1)) {
    fail(`--candidate: expected action:similar:successes:support (e.g. restart:6:5:0.7), got '${text}'`, 2);
  }
  return { action, similarIncidents: n, successes: s, support: w, rationale: '' };
}
