import { formatUtc } from '@x0/core';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { status } from '@grpc/grpc-js';
import { isRpcError, rpcErrorMessage, type X0Client } from '@x0/client';
import { TrainingEvent, type TrainingJob } from '@x0/contracts';
import { adapterModelName, baseOfAdapterModel } from '@x0/model-serving/names';
import { defaultActor } from './models';
import { abortOnSignals, fail, parseDuration, table } from './output';
import { usingClient } from './client-session';
import { UsageError } from './failure';

/**
 * The registry model a job registered its version under, as `x0 models` takes it: the model, or
 * for a component's adapter `<model>--<component>` (a component that is no plain name has a
 * hashed adapter name, said with its component).
 */
function registeredModel(j: TrainingJob): string {
  if (!j.component) return j.model;
  const name = adapterModelName(j.model, j.component);
  return name === `${j.model}--${j.component}` ? name : `${name} (${j.model}'s adapter of ${j.component})`;
}

/** The last line of `x0 train --wait`: failed and why, or which version of which model was promoted or kept, and why. */
export function outcomeLine(j: TrainingJob): string {
  if (j.state === 'failed') return `job ${j.id} failed: ${j.error}`;
  const model = registeredModel(j);
  const what = j.decision === 'promoted' ? `promoted ${model} ${j.version} to champion` : `kept ${model} ${j.version} as challenger`;
  return `job ${j.id} ${j.state}: ${what}\n  ${j.decisionReason}`;
}

/**
 * The first line `x0 train` prints for the job the trainer returned. A request for a model (and
 * component) that already has a queued manual job joins it: the trainer returns that job
 * unchanged, with its own actor and reason, and this request's reason is not recorded — said so,
 * with who queued it and when. A new job (its reason this request's, or 'requested by <actor>'
 * as the trainer records a request without one), or a queued automatic job this request took
 * over (its reason starts with this request's), prints as it is.
 */
export function queuedLine(job: TrainingJob, actor: string, reason: string): string {
  const line = `job ${job.id} ${job.state} (${job.trigger}${job.reason ? `: ${job.reason}` : ''})`;
  // The reason the trainer records for this request: the one given, else 'requested by <actor>'.
  const recorded = reason || `requested by ${actor || 'an operator'}`;
  const ours = job.actor === actor && (job.reason === reason || job.reason === recorded || job.reason.startsWith(`${recorded}; took over `));
  if (ours) return line;
  return `${line}
  already queued by ${job.actor || 'the trainer'} at ${formatUtc(job.createdMs)} UTC: this request joined it (its reason is not recorded)`;
}

/** A job's state for the progress line: a queued job has not started its first stage yet; a delayed one says when it will. */
export function stageOf(j: TrainingJob, now = Date.now()): string {
  if (j.state !== 'queued') return `${j.state} ${j.stage}`;
  return j.notBeforeMs > now ? `queued, starts at ${formatUtc(j.notBeforeMs)} UTC` : 'queued, waiting to start';
}

/** The STATE cell of `x0 jobs`: `queued until <time> UTC` for a delayed job, `running <stage>`, or the state. */
export function stateCell(j: TrainingJob, now = Date.now()): string {
  if (j.state === 'queued' && j.notBeforeMs > now) return `queued until ${formatUtc(j.notBeforeMs)} UTC`;
  return j.state === 'running' ? `running ${j.stage}` : j.state;
}

/**
 * Whether a replayed TrainingEvent of the followed job adds nothing to the Train response: a
 * queued one. The response is the job as it is now, and a job is queued again by nothing after
 * it; the replay (from the job's creation) also holds the queued events of an automatic job the
 * request took over — a drift job's 'starts at <its settle time>', although it now starts at once.
 */
export function staleForFollow(event: TrainingJob): boolean {
  return event.state === 'queued';
}

/** Follows a job's TrainingEvents from the bus until it ends; draws a progress bar on a terminal. */
async function follow(client: X0Client, job: TrainingJob, timeoutMs: number): Promise<TrainingJob> {
  const tty = process.stderr.isTTY === true;
  const bar = new SingleBar({ format: ' {bar} {percentage}% | {stage} | {model}', stream: process.stderr, hideCursor: true, clearOnComplete: false });
  if (tty) bar.start(100, Math.round(job.progress * 100), { stage: stageOf(job), model: job.model });
  else process.stderr.write(`${Math.round(job.progress * 100)}% ${stageOf(job)}\n`);
  const signal = AbortSignal.any([abortOnSignals(), AbortSignal.timeout(timeoutMs)]);
  let last = job;
  let lastStage = stageOf(job);
  try {
    for await (const rec of client.events({ sinceMs: job.createdMs - 1000, follow: true, types: ['training'], component: job.component || job.model, signal })) {
      const j = TrainingEvent.fromJSON(rec.event).job;
      if (!j || j.id !== job.id || staleForFollow(j)) continue;
      last = j;
      const stage = stageOf(j);
      if (tty) bar.update(Math.round(j.progress * 100), { stage, model: j.model });
      else if (stage !== lastStage) process.stderr.write(`${Math.round(j.progress * 100)}% ${stage}\n`);
      lastStage = stage;
      if (j.state === 'succeeded' || j.state === 'failed') break;
    }
  } finally {
    if (tty) bar.stop();
  }
  return last;
}

/**
 * The error of a rejected Train call. A name like `<model>--<component>` that the trainer does not
 * train is an adapter's registry name (`action-params--demo-db`): the hint says how to train that
 * adapter (`x0 train action-params --component demo-db`). Others unchanged.
 */
export function trainFailure(err: unknown, model: string, component: string | undefined): unknown {
  const base = baseOfAdapterModel(model);
  if (component || !base || !isRpcError(err) || err.code !== status.INVALID_ARGUMENT || !/\bnot trainable\b/.test(err.details)) return err;
  const named = model.slice(base.length + 2);
  // Components that are no plain token are named by a hash (`--h<16 hex>`): the real name is needed.
  const comp = /^h[0-9a-f]{16}$/.test(named) ? '<component>' : named;
  return new UsageError(`${rpcErrorMessage(err)}; '${model}' is the registry name of a component's adapter: train it with x0 train ${base} --component ${comp}`, { cause: err });
}

/** `x0 train <model> [--component c] [--wait]` and `x0 jobs`. */
export function registerTrain(program: Command): void {
  program
    .command('train')
    .description(
      'queue a training job: replay recent data, train a challenger, shadow-evaluate it, promote it only if it wins; ' +
        'a queued automatic job of the model (e.g. a drift job waiting for its settle time) is taken over and starts now',
    )
    .argument('<model>', 'model to train (x0 models ls): detector, action-params')
    .option('--component <name>', 'fine-tune this component’s adapter (per-component models)')
    .option('--reason <text>', 'why (kept with the job)', '')
    .option('--actor <name>', 'who asks', defaultActor())
    .option('-w, --wait', 'follow the job with a progress bar until it ends (exit 1 if it fails)')
    .option('--timeout <duration>', 'give up waiting after this long, e.g. 10m', '30m')
    .action(async (model: string, opts: { component?: string; reason: string; actor: string; wait?: boolean; timeout: string }) => {
      const timeoutMs = parseDuration(opts.timeout);
      if (timeoutMs === undefined) fail(`--timeout: '${opts.timeout}' is not a duration like 90s, 15m, 1h`, 2);
      await usingClient('x0-train', async (client) => {
        const job = await client.services.trainer.train({ model, component: opts.component ?? '', reason: opts.reason, actor: opts.actor }).catch((err: unknown) => {
          throw trainFailure(err, model, opts.component);
        });
        process.stdout.write(`${queuedLine(job, opts.actor, opts.reason)}\n`);
        if (!opts.wait) return;
        const done = await follow(client, job, timeoutMs);
        if (done.state !== 'succeeded' && done.state !== 'failed') fail(`job ${job.id} still ${done.state} after ${opts.timeout}; see x0 jobs`);
        process.stdout.write(`${outcomeLine(done)}\n`);
        process.exitCode = done.state === 'succeeded' ? 0 : 1;
      });
    });

  program
    .command('jobs')
    .description('training jobs, most recent first')
    .option('--model <model>', 'only this model')
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'JSON output')
    .action(async (opts: { model?: string; limit: string; json?: boolean }) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit <= 0) fail('--limit must be a positive integer', 2);
      // An empty --model would list every model's jobs, as if the option were not given.
      if (opts.model !== undefined && !opts.model.trim()) fail('--model must name a model (x0 models ls)', 2);
      await usingClient('x0-jobs', async (client) => {
        const { jobs } = await client.services.trainer.listJobs({ model: opts.model ?? '', limit });
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(jobs)}\n`);
          return;
        }
        if (jobs.length === 0) {
          process.stdout.write(opts.model ? `no training jobs of ${opts.model}\n` : 'no training jobs\n');
          return;
        }
        const rows = [['JOB', 'MODEL', 'COMPONENT', 'TRIGGER', 'STATE', 'PROGRESS', 'VERSION', 'DECISION', 'CREATED', 'DETAIL']];
        for (const j of jobs) {
          rows.push([
            j.id,
            j.model,
            j.component || '-',
            j.actor ? `${j.trigger} (${j.actor})` : j.trigger,
            stateCell(j),
            `${Math.round(j.progress * 100)}%`,
            j.version || '-',
            j.decision || '-',
            formatUtc(j.createdMs),
            j.error || j.decisionReason || j.reason,
          ]);
        }
        process.stdout.write(`${table(rows)}\n`);
      });
    });
}
