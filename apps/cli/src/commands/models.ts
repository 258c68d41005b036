import os from 'node:os';
import { status } from '@grpc/grpc-js';
import type { Command } from 'commander';
import { aliasMoved, isRpcError, type X0Client } from '@x0/client';
import { errorMessage, formatUtc } from '@x0/core';
import { readAliasHistory, type AliasHistoryRow } from '@x0/model-registry/alias-history';
import { baseOfAdapterModel, isAdapterModelOf } from '@x0/model-serving/names';
import type { ModelPerformance, ModelVersion, PerformanceMetric } from '@x0/contracts';
import { table } from './output';
import { usingClient } from './client-session';

/** Who the CLI says is acting (`--actor`, else the login name). */
export function defaultActor(): string {
  try {
    return process.env['USER'] || os.userInfo().username || 'operator';
  } catch {
    return 'operator';
  }
}

function metricsSummary(m: Record<string, number>): string {
  const keys = Object.keys(m).filter((k) => k.startsWith('shadow_') || k === 'train_loss').slice(0, 4);
  return keys.map((k) => `${k.replace(/^shadow_/, '')}=${fmt(m[k])}`).join(' ') || '-';
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v)) : v.toPrecision(3);
}


function perf(name: string, m: PerformanceMetric | undefined, unit = ''): string {
  if (!m) return `${name}: -`;
  if (!m.judged) return `${name}: not judged (${m.samples} samples)`;
  return `${name}: ${fmt(m.value)}${unit} (threshold ${fmt(m.threshold)}${unit}, ${m.samples} samples)${m.breached ? '  ← ALERT' : ''}`;
}

function describeVersion(v: ModelVersion): string {
  const lines = [
    `model     ${v.model}`,
    `version   ${v.version}${v.aliases.length ? `  [${v.aliases.join(', ')}]` : ''}`,
    `created   ${formatUtc(v.createdMs)}  (${v.sizeBytes} bytes)`,
    'signature',
    ...Object.entries(v.signature).map(([k, val]) => `  ${k.padEnd(16)} ${val}`),
    'lineage',
    ...Object.entries(v.lineage).map(([k, val]) => `  ${k.padEnd(16)} ${val}`),
    'metrics',
    ...Object.entries(v.metrics).map(([k, val]) => `  ${k.padEnd(28)} ${fmt(val)}`),
  ];
  return lines.join('\n');
}

/**
 * The performance block of `x0 models show`. The input drift line only for a model whose inputs
 * are sampled for drift (the detector): a drift metric that is absent, or that never had a
 * sample and is not judged, is one the trainer does not watch (action-params read
 * 'not judged (0 samples)' forever).
 */
export function describePerformance(p: ModelPerformance): string {
  const drift = p.drift && (p.drift.judged || p.drift.samples > 0) ? [`  ${perf('input drift (max PSI)', p.drift)}`] : [];
  return [
    `performance of the champion (${p.version || '-'})`,
    `  ${perf('accuracy', p.accuracy)}`,
    `  ${perf('error rate', p.errorRate)}`,
    `  ${perf('latency p95', p.latencyP95Ms, ' ms')}`,
    ...drift,
    `  alerts in force: ${p.alerts.join(', ') || 'none'}`,
  ].join('\n');
}

/** Moves of the model's aliases `x0 models show` lists (newest first). */
export const ALIAS_HISTORY_SHOWN = 20;

/** The alias history of `x0 models show`: time, alias, from → to, how, actor, reason; newest first. */
export function describeAliasHistory(rows: readonly AliasHistoryRow[] | string): string {
  if (typeof rows === 'string') return `alias history: not available (${rows})`;
  if (rows.length === 0) return 'alias history: none';
  const lines = rows.map((r) => [`  ${formatUtc(r.timeMs)}`, r.alias, `${r.previousVersion || '-'} → ${r.version}`, r.type, r.actor || '-', r.reason || '-']);
  return `alias history (newest first, at most ${ALIAS_HISTORY_SHOWN})\n${table([['  TIME', 'ALIAS', 'FROM → TO', 'HOW', 'ACTOR', 'REASON'], ...lines])}`;
}

/**
 * The alias history of `model` from the registry's KV (through the registry's alias-history
 * module alone: the registry itself brings TensorFlow.js), or why it could not be read (NATS
 * unreachable): the version is shown all the same.
 */
async function aliasHistory(client: X0Client, model: string): Promise<AliasHistoryRow[] | string> {
  try {
    return await readAliasHistory((await client.nats()).nc, model, { limit: ALIAS_HISTORY_SHOWN });
  } catch (err) {
    return `NATS: ${errorMessage(err)}`;
  }
}

/**
 * A rejection handler for a trainer call on `model`: NOT_FOUND for a model the registry has no
 * version of becomes {@link unknownModelError} (as ls says it); an unknown version or alias of a
 * known model, and any other error, stays as the trainer says it.
 */
function unknownModelOr(client: X0Client, model: string): (err: unknown) => Promise<never> {
  return async (err) => {
    if (!isRpcError(err) || err.code !== status.NOT_FOUND) throw err;
    const { models: all } = await client.services.trainer.listModels({ model: '' });
    throw all.some((m) => m.model === model) ? err : unknownModelError(model, all);
  };
}

/** The version `alias` of `model` points at; undefined when the alias (or the model) does not exist. */
async function aliasHolder(client: X0Client, model: string, alias: string): Promise<string | undefined> {
  try {
    const v = await client.services.trainer.getModel({ model, ref: alias });
    return v.aliases.includes(alias) ? v.version : undefined;
  } catch (err) {
    if (isRpcError(err) && err.code === status.NOT_FOUND) return undefined;
    throw err;
  }
}

/**
 * The error for a model the registry has no version of: names the models it has (at most 10;
 * per-component adapters make the list long).
 */
export function unknownModelError(model: string, versions: readonly ModelVersion[]): Error {
  const known = [...new Set(versions.map((v) => v.model))].sort();
  const shown = known.length > 10 ? `${known.slice(0, 10).join(', ')}, … (${known.length} in all; x0 models ls)` : known.join(', ') || 'none';
  return new Error(`model '${model}' not found; known: ${shown}`);
}

/**
 * A note for the champion of a component's adapter (`<base>--<component>`, lineage `component`
 * and `baseVersion`) trained on another base version than the base's champion `baseChampion`:
 * the serving service does not apply it (an adapter fits only the base it was trained on), so
 * the shared model serves the component. Undefined when it applies, or when that is not known.
 */
export function staleAdapterNote(v: ModelVersion, baseChampion: string | undefined): string | undefined {
  const base = baseOfAdapterModel(v.model);
  const component = v.lineage['component'];
  const trainedOn = v.lineage['baseVersion'];
  if (!base || !component || !trainedOn || !baseChampion || trainedOn === baseChampion) return undefined;
  return (
    `note: ${v.model} ${v.version} was trained on ${base} ${trainedOn}, but the ${base} champion is ${baseChampion}: it is not applied — ` +
    `${component} is served by the shared ${base} model until its adapter is trained on ${base} ${baseChampion} (x0 train ${base} --component ${component})`
  );
}

/**
 * A note for a base model whose champion is now `champion`: the components whose champion
 * adapter (`<base>--<component>`, among `versions`) was trained on another version of it are
 * served by the shared model until one trained on it serves (the trainer restores an earlier
 * one or queues a `rebase` job for each). Undefined when there is none (adapters without a recorded base
 * version are not counted).
 */
export function staleAdaptersNote(base: string, champion: string, versions: readonly ModelVersion[]): string | undefined {
  const stale = versions
    .filter((v) => isAdapterModelOf(base, v.model) && v.aliases.includes('champion'))
    .filter((v) => v.lineage['component'] && v.lineage['baseVersion'] && v.lineage['baseVersion'] !== champion)
    .map((v) => `${v.lineage['component']} (${v.model} ${v.version}, on ${base} ${v.lineage['baseVersion']})`)
    .sort();
  if (stale.length === 0) return undefined;
  const shown = stale.length > 10 ? `${stale.slice(0, 10).join(', ')}, … (${stale.length} in all)` : stale.join(', ');
  return `note: component adapters trained on another ${base} version, not applied until one trained on ${base} ${champion} serves (the trainer makes an earlier one trained on it champion again, or queues a rebase job: x0 jobs): ${shown}`;
}

/** The {@link staleAdapterNote} of the version `alias` now names (or, for a base, its {@link staleAdaptersNote}), when the alias is the champion. */
async function staleAdapterLine(client: X0Client, v: ModelVersion, alias: string): Promise<string> {
  if (alias !== 'champion') return '';
  const base = baseOfAdapterModel(v.model);
  let note: string | undefined;
  if (!base) {
    const all = await client.services.trainer.listModels({ model: '' }).catch(() => undefined);
    note = all ? staleAdaptersNote(v.model, v.version, all.models) : undefined;
  } else if (v.lineage['component']) {
    note = staleAdapterNote(v, await aliasHolder(client, base, 'champion').catch(() => undefined));
  }
  return note ? `${note}\n` : '';
}

/**
 * What `x0 models ls` prints for `versions`: a row per version of the shared models and, per
 * base, one line for its per-component adapters (`<base>--<component>`: every component has one
 * once the trainer has seen it, so their versions would drown the rest) — or, with `adapters`
 * (or a model named), a row for every version.
 */
export function versionListing(versions: readonly ModelVersion[], o: { adapters: boolean }): { rows: string[][]; notes: string[] } {
  const rows = [['MODEL', 'VERSION', 'ALIASES', 'COMPONENT', 'CREATED', 'BYTES', 'METRICS']];
  const adapters = new Map<string, { models: Set<string>; champions: Set<string> }>();
  for (const v of versions) {
    const base = baseOfAdapterModel(v.model);
    if (base && !o.adapters) {
      const a = adapters.get(base) ?? adapters.set(base, { models: new Set(), champions: new Set() }).get(base)!;
      a.models.add(v.model);
      if (v.aliases.includes('champion')) a.champions.add(v.model);
      continue;
    }
    rows.push([v.model, v.version, v.aliases.join(',') || '-', v.lineage['component'] ?? '-', formatUtc(v.createdMs), String(v.sizeBytes), metricsSummary(v.metrics)]);
  }
  const notes = [...adapters]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([base, a]) =>
        `adapters of ${base}: ${a.models.size} component(s), ${a.champions.size} with a champion — x0 models ls --adapters lists their versions, x0 models ls ${base}--<component> one's`,
    );
  return { rows, notes };
}

/** `x0 models ls|show|promote|rollback`: the model registry through the trainer. */
export function registerModels(program: Command): void {
  const models = program.command('models').description('model registry: versions, aliases (champion, challenger), promotion and rollback');

  models
    .command('ls')
    .description('every registered version (of one model, or all: per-component adapters summed up per base unless --adapters)')
    .argument('[model]', 'only this model')
    .option('--adapters', "also every version of the components' adapters (<base>--<component>)")
    .option('--json', 'JSON output (every version)')
    .action(async (model: string | undefined, opts: { json?: boolean; adapters?: boolean }) => {
      await usingClient('x0-models', async (client) => {
        const { models: versions } = await client.services.trainer.listModels({ model: model ?? '' });
        // A model exists in the registry only through its versions: none means a wrong name, not an empty model.
        if (model && versions.length === 0) throw unknownModelError(model, (await client.services.trainer.listModels({ model: '' })).models);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(versions)}\n`);
          return;
        }
        const { rows, notes } = versionListing(versions, { adapters: Boolean(opts.adapters || model) });
        process.stdout.write(`${table(rows)}\n${notes.map((n) => `${n}\n`).join('')}`);
      });
    });

  models
    .command('show')
    .description('one version (default the champion) with signature, lineage, metrics and the live performance')
    .argument('<model>')
    .argument('[ref]', 'version or alias', 'champion')
    .option('--json', 'JSON output')
    .action(async (model: string, ref: string, opts: { json?: boolean }) => {
      await usingClient('x0-models', async (client) => {
        const v = await client.services.trainer.getModel({ model, ref }).catch(unknownModelOr(client, model));
        const p = await client.services.trainer.getModelPerformance({ model }).catch(() => undefined);
        const history = await aliasHistory(client, model);
        if (opts.json) process.stdout.write(`${JSON.stringify({ version: v, performance: p, aliasHistory: typeof history === 'string' ? { error: history } : history })}\n`);
        else process.stdout.write(`${describeVersion(v)}${p ? `\n${describePerformance(p)}` : ''}\n${describeAliasHistory(history)}\n`);
      });
    });

  models
    .command('promote')
    .description('point an alias (default champion) at a version; serving replicas switch without a restart')
    .argument('<model>')
    .argument('<version>', 'version, or an alias whose version to take (challenger)')
    .option('--alias <alias>', 'alias to move', 'champion')
    .option('--reason <text>', 'why, kept in the alias history', '')
    .option('--actor <name>', 'who, kept in the alias history', defaultActor())
    .action(async (model: string, version: string, opts: { alias: string; reason: string; actor: string }) => {
      await usingClient('x0-models', async (client) => {
        // A ref as show takes it (an alias first, then a version): `promote detector challenger`.
        const target = (await client.services.trainer.getModel({ model, ref: version }).catch(unknownModelOr(client, model))).version;
        const via = target !== version ? ` (the ${version})` : '';
        const before = await aliasHolder(client, model, opts.alias);
        if (before === target) {
          process.stdout.write(`${model} ${opts.alias} is already ${target}${via}: nothing changed\n`);
          return;
        }
        const v = await client.services.trainer.promote({ model, version: target, alias: opts.alias, reason: opts.reason, actor: opts.actor });
        process.stdout.write(`${aliasMoved(v.model, opts.alias, before, v.version)}${via}\n${await staleAdapterLine(client, v, opts.alias)}`);
      });
    });

  models
    .command('rollback')
    .description('move an alias (default champion) back to the version that held it before')
    .argument('<model>')
    .option('--alias <alias>', 'alias to move back', 'champion')
    .option('--reason <text>', 'why, kept in the alias history', '')
    .option('--actor <name>', 'who, kept in the alias history', defaultActor())
    .action(async (model: string, opts: { alias: string; reason: string; actor: string }) => {
      await usingClient('x0-models', async (client) => {
        const before = await aliasHolder(client, model, opts.alias).catch(() => undefined);
        const v = await client.services.trainer.rollback({ model, alias: opts.alias, reason: opts.reason, actor: opts.actor }).catch(unknownModelOr(client, model));
        process.stdout.write(`${aliasMoved(v.model, opts.alias, before, v.version)} (rolled back)\n${await staleAdapterLine(client, v, opts.alias)}`);
      });
    });
}
