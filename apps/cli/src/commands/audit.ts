import type { Command } from 'commander';
import type { EventRecord } from '@x0/client';
import { fail, parseDuration } from './output';
import { formatStory, groupIncidents, storiesFooter } from './audit-story';
import { withClient } from './client-session';

/** `x0 audit [--component X] [--since 1h]`: the story of each incident from the X0_EVENTS stream. */
export function registerAudit(program: Command): void {
  program
    .command('audit')
    .description('the story of each incident: anomaly → diagnosis → plan (and why) → approval → action → outcome')
    .option('--component <name>', 'only this component')
    .option('--since <duration>', 'how far back, e.g. 15m, 1h, 2d', '1h')
    .option('--verbose', 'every ranked policy and every guardrail line')
    .option('--json', 'one JSON object per announcement of an incident: {anomalyId, incidentId, announcement, component, kind, startMs, events}')
    .action((opts: { component?: string; since: string; verbose?: boolean; json?: boolean }) => {
      const d = parseDuration(opts.since);
      if (d === undefined) fail(`--since: '${opts.since}' is not a duration like 90s, 15m, 1h, 2d`, 2);
      return withClient('x0-audit', async (client) => {
        const records: EventRecord[] = [];
        for await (const e of client.events({ sinceMs: Date.now() - d, follow: false, component: opts.component })) records.push(e);
        const stories = groupIncidents(records);
        if (opts.json) {
          for (const s of stories) process.stdout.write(`${JSON.stringify(s)}\n`);
          return;
        }
        if (stories.length === 0) {
          process.stdout.write(`no incident${opts.component ? ` on ${opts.component}` : ''} in the last ${opts.since}\n`);
          return;
        }
        process.stdout.write(`${stories.map((s) => formatStory(s, { verbose: opts.verbose })).join('\n\n')}\n`);
        process.stdout.write(`\n${storiesFooter(stories, opts.since)}\n`);
      });
    });
}
