import { status } from '@grpc/grpc-js';
import type { Command } from 'commander';
import { isRpcError } from '@x0/client';
import type { LabelResponse } from '@x0/contracts';
import { defaultActor } from './models';
import { fail } from './output';
import { usingClient } from './client-session';

/** `x0 label <anomaly-id> true|false`: an operator's verdict on an anomaly, for the detector's accuracy. */
export function registerLabel(program: Command): void {
  program
    .command('label')
    .description('label an anomaly real (true) or a false alarm (false); published on x0.events.label.<component>')
    .argument('<anomaly-id>', 'id of the anomaly (x0 events --type anomaly)')
    .argument('<verdict>', 'true: it was real; false: a false alarm')
    .option('--actor <name>', 'who labels (kept in the audit trail)', defaultActor())
    .option('--reason <text>', 'why', '')
    .option('--component <name>', 'component of the anomaly, when the trainer has not seen it')
    .action(async (anomalyId: string, verdict: string, opts: { actor: string; reason: string; component?: string }) => {
      const v = verdict.trim().toLowerCase();
      if (!['true', 'false', 'yes', 'no', 'real', 'fp'].includes(v)) fail(`verdict must be true or false, got '${verdict}'`, 2);
      const anomaly = v === 'true' || v === 'yes' || v === 'real';
      await usingClient('x0-label', async (client) => {
        const r = await client.services.trainer
          .label({ anomalyId, anomaly, actor: opts.actor, reason: opts.reason, component: opts.component ?? '' })
          .catch((err: unknown) => {
            throw labelFailure(err, anomalyId, opts.component);
          });
        process.stdout.write(`${labelLine(anomalyId, anomaly, r)}\n`);
      });
    });
}

/**
 * The error of a failed Label call. NOT_FOUND without `--component` means the trainer has not
 * seen the anomaly: said with the name of the option to pass. Others unchanged.
 */
export function labelFailure(err: unknown, anomalyId: string, component: string | undefined): unknown {
  if (component || !isRpcError(err) || err.code !== status.NOT_FOUND) return err;
  return new Error(`anomaly '${anomalyId}' not found: the trainer has not seen it; pass its component to label it anyway (--component <name>)`, { cause: err });
}

/**
 * What `x0 label` prints: `labelled …`, `already labelled … by <who labelled it first>`, or for a
 * correction `relabelled … (new id); replaces the <other verdict> label by <actor> (old id)`.
 */
export function labelLine(anomalyId: string, anomaly: boolean, r: LabelResponse): string {
  const verdict = (real: boolean) => (real ? 'real' : 'a false alarm');
  const line = `${anomalyId} on ${r.component} as ${verdict(anomaly)} by ${r.actor} (${r.labelId})`;
  if (!r.published) return `already labelled ${line}`;
  if (!r.replacedLabelId) return `labelled ${line}`;
  return `relabelled ${line}; replaces the ${anomaly ? 'false-alarm' : 'real'} label by ${r.replacedActor} (${r.replacedLabelId})`;
}
