import { AckPolicy, DeliverPolicy, type ConsumerConfig, type JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { Bus } from '@x0/bus';
import { formatSpan } from '@x0/core';
import {
  ActionStatus,
  EVENT_CODECS,
  MODEL_EVENT_CODEC,
  PlanStatus,
  STREAMS,
  Verdict,
  parseSubject,
  subjectToken,
  severityFromProto,
  type EventMeta,
  type EventPayloads,
  type EventType,
  type ModelEvent,
} from '@x0/contracts';

/** One event of the loop, as `x0 events --json` prints it. */
export interface EventRecord {
  type: EventType | 'model';
  id: string;
  parent_id: string;
  component: string;
  /** ISO-8601 event time. */
  time: string;
  /** One readable line. */
  summary: string;
  /** Stream sequence in X0_EVENTS. */
  seq: number;
  /** The whole event (protobuf JSON form). */
  event: unknown;
}

export interface EventFeedOptions {
  /** Only events at or after this time (ms); default: only new events. */
  sinceMs?: number;
  /** Keep waiting for new events (default true); otherwise stop once caught up. */
  follow?: boolean;
  types?: ReadonlyArray<EventType | 'model'>;
  component?: string;
  signal?: AbortSignal;
}

/**
 * Reads the loop's events from X0_EVENTS with an ordered consumer (nothing durable is left
 * behind), decoded and summarised. Ends when caught up unless `follow`.
 */
export async function* eventFeed(bus: Bus, options: EventFeedOptions = {}): AsyncGenerator<EventRecord> {
  const filter = options.component ? `x0.events.*.${subjectToken(options.component, 'component')}` : '>';
  for await (const m of storedMessages(bus, STREAMS.events.name, filter, options)) {
    const rec = toRecord(m);
    if (rec && (!options.types || options.types.includes(rec.type)) && (!options.component || rec.component === options.component)) yield rec;
  }
}

/**
 * The messages of a stream on `filter` (`>`: all), from `sinceMs` (default: only new ones),
 * with an ordered consumer (nothing durable is left behind); ends when caught up unless
 * `follow` (default true), or when `signal` aborts.
 */
export async function* storedMessages(
  bus: Bus,
  stream: string,
  filter: string,
  options: { sinceMs?: number; follow?: boolean; signal?: AbortSignal },
): AsyncGenerator<JsMsg> {
  const follow = options.follow ?? true;
  const start =
    options.sinceMs !== undefined
      ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(options.sinceMs).toISOString() }
      : { deliver_policy: DeliverPolicy.New };
  // Caught up means: after the last stored message that matches. With none (a component without
  // events in the window, a window with none yet) no message ever says so (pending 0), and the
  // feed waited for the next one — forever on a quiet system (`x0 audit --component c` hung).
  const signal = options.signal;
  if (signal?.aborted || (!follow && !(await anyStored(bus, stream, filter, start)))) return;
  const consumer = await bus.js.consumers.get(stream, { filter_subjects: filter, ...start });
  const messages = await consumer.consume();
  // (an abort while connecting has already fired: checked once the listener is in place)
  const stop = () => void messages.close();
  signal?.addEventListener('abort', stop, { once: true });
  try {
    if (signal?.aborted) return;
    for await (const m of messages) {
      yield m;
      if (!follow && m.info.pending === 0) break;
    }
  } finally {
    signal?.removeEventListener('abort', stop);
    await messages.close().catch(() => undefined);
  }
}

/**
 * Whether the stream holds a message matching `filter` from `start` on: a short-lived consumer's
 * pending count, the server's own answer (the consumer is deleted at once, and expires anyway).
 */
async function anyStored(bus: Bus, stream: string, filter: string, start: Partial<ConsumerConfig>): Promise<boolean> {
  if (start.deliver_policy === DeliverPolicy.New) return false;
  const info = await bus.jsm.consumers.add(stream, { ...(filter === '>' ? {} : { filter_subject: filter }), ...start, ack_policy: AckPolicy.None, inactive_threshold: nanos(60_000), mem_storage: true });
  await bus.jsm.consumers.delete(stream, info.name).catch(() => undefined);
  return info.num_pending > 0;
}

/** Decodes one stored event; undefined for subjects that are not loop events. */
export function toRecord(m: Pick<JsMsg, 'subject' | 'data' | 'seq'>): EventRecord | undefined {
  let parsed;
  try {
    parsed = parseSubject(m.subject);
  } catch {
    return undefined;
  }
  try {
    if (parsed.type === 'models') {
      const e = MODEL_EVENT_CODEC.decode(m.data);
      return record('model', e.meta, m.seq, summarizeModelEvent(e), MODEL_EVENT_CODEC.toJSON(e));
    }
    if (parsed.type !== 'event') return undefined;
    const type = parsed.event;
    const codec = EVENT_CODECS[type];
    const e = codec.decode(m.data) as EventPayloads[typeof type];
    return record(type, e.meta, m.seq, summarize(type, e), (codec.toJSON as (x: unknown) => unknown)(e));
  } catch {
    return undefined;
  }
}

/** An alias move as x0 prints it: `detector champion 2 → 3` (`detector challenger → 3` for a new alias). */
export function aliasMoved(model: string, alias: string, before: string | undefined, after: string): string {
  return `${model} ${alias} ${before ? `${before} ` : ''}→ ${after}`;
}

/**
 * One line for a model event: `model detector registered 3`, or for an alias move
 * `model detector champion 3 → 2 (rollback by alice: accuracy low on 3)` (how, who and why as the
 * event has them; `→ 1` when the alias was new).
 */
export function summarizeModelEvent(e: ModelEvent): string {
  if (e.type !== 'alias_changed') return `model ${e.model} ${e.type} ${e.version}${e.alias ? ` alias=${e.alias}` : ''}`;
  const how = [e.change, e.actor && `by ${e.actor}`].filter(Boolean).join(' ');
  const why = how && e.reason ? `${how}: ${e.reason}` : how || e.reason;
  return `model ${aliasMoved(e.model, e.alias, e.previousVersion, e.version)}${why ? ` (${why})` : ''}`;
}

function record(type: EventRecord['type'], meta: EventMeta | undefined, seq: number, summary: string, event: unknown): EventRecord {
  return {
    type,
    id: meta?.id ?? '',
    parent_id: meta?.parentId ?? '',
    component: meta?.component ?? '',
    time: new Date(meta?.timeMs ?? 0).toISOString(),
    summary,
    seq,
    event,
  };
}

/** For a re-announcement, which incident it continues and for how long it has been open: ` — still open: incident an_…, announcement 3, open 2m10s`. */
function reannounced(a: EventPayloads['anomaly']): string {
  if (a.announcement <= 1 || !a.incidentId) return '';
  const open = a.incidentStartMs > 0 ? `, open ${formatSpan((a.meta?.timeMs ?? 0) - a.incidentStartMs)}` : '';
  return ` — still open: incident ${a.incidentId}, announcement ${a.announcement}${open}`;
}

/** One readable line describing an event. */
export function summarize<K extends EventType>(type: K, event: EventPayloads[K]): string {
  switch (type) {
    case 'anomaly': {
      const a = event as EventPayloads['anomaly'];
      const top = a.metrics[0];
      return `${severityFromProto(a.severity)} anomaly score=${a.score.toFixed(2)}${top ? ` ${top.metric}=${fmt(top.value)} (expected ${fmt(top.expected)})` : ''}${reannounced(a)}`;
    }
    case 'diagnosis': {
      const d = event as EventPayloads['diagnosis'];
      return `cause=${d.probableCause} confidence=${d.confidence.toFixed(2)}${d.candidates.length ? ` candidates=${d.candidates.map((c) => c.action).join(',')}` : ''} — ${d.summary}`;
    }
    case 'plan': {
      const p = event as EventPayloads['plan'];
      const status = PLAN_STATUS[p.status] ?? 'unknown';
      const why = p.status === PlanStatus.PLAN_STATUS_BLOCKED ? joinWhy(blockedBy(p.explanation?.guardrails ?? []), alsoBlocked(p), notAgain(p)) : '';
      // A no-action summary opens with its status ('no action: nothing left to try …'): not said twice.
      const summary = p.explanation?.summary ?? '';
      const said = p.status === PlanStatus.PLAN_STATUS_NO_ACTION ? summary.replace(/^no action: /, '') : summary;
      return `${status}${p.action ? ` ${p.action}` : ''}${p.policyId ? ` (policy ${p.policyId})` : ''}${p.dryRun ? ' [dry-run]' : ''} — ${why || said}`;
    }
    case 'action': {
      const r = event as EventPayloads['action'];
      return `${r.action} via ${r.executor}: ${ACTION_STATUS[r.status] ?? 'unknown'}${r.dryRun ? ' [dry-run]' : ''} in ${r.durationMs.toFixed(1)} ms${r.message ? ` — ${r.message}` : ''}`;
    }
    case 'outcome': {
      const o = event as EventPayloads['outcome'];
      return `${verdictText(o.verdict)}${o.recovered ? ` in ${(o.timeToRecoverMs / 1000).toFixed(1)} s` : ''}${o.anomalyReturned ? ' (anomaly returned)' : ''} after ${o.incident?.action || 'no action'}${o.detail ? ` — ${o.detail}` : ''}`;
    }
    case 'approval': {
      const a = event as EventPayloads['approval'];
      return `plan ${a.planId} ${a.decision} by ${a.actor}${a.reason ? ` — ${a.reason}` : ''}`;
    }
    case 'label': {
      const l = event as EventPayloads['label'];
      return `anomaly ${l.anomalyId} labelled ${l.anomaly ? 'real' : 'false alarm'} by ${l.actor} (${l.origin})${l.reason ? ` — ${l.reason}` : ''}`;
    }
    case 'training': {
      const j = (event as EventPayloads['training']).job!;
      const done = j.decision ? ` → ${j.decision} ${j.version}${j.decisionReason ? `: ${j.decisionReason}` : ''}` : '';
      return `job ${j.id} ${j.model} ${j.state} ${j.stage} ${Math.round(j.progress * 100)}%${done}${j.error ? ` — ${j.error}` : ''}`;
    }
    case 'model_alert': {
      const a = event as EventPayloads['model_alert'];
      return `model ${a.model}@${a.version} ${a.type}: ${a.message}${a.jobId ? ` (job ${a.jobId})` : ''}`;
    }
  }
  return type;
}

/**
 * The guardrails that stopped a plan, from its explanation's lines ("stabilisation: blocked —
 * 1 anomaly over 0s; need 2 in a row"): "stopped by stabilisation: 1 anomaly over 0s; need 2
 * in a row"; '' when no line says blocked (the summary is shown instead).
 */
function blockedBy(lines: readonly string[]): string {
  const blocking = lines.flatMap((l) => {
    const m = /^(.+?): blocked(?: — (.*))?$/.exec(l);
    return m ? [m[2] ? `${m[1]}: ${m[2]}` : m[1]] : [];
  });
  return blocking.length > 0 ? `stopped by ${blocking.join(' | ')}` : '';
}

/**
 * The other actions of a blocked plan and what stopped each (its explanation's ranking), since
 * the guardrail lines are those of the best-ranked one alone: "also blocked: throttle
 * (dependency-throttle) by circuit_breaker(policy dependency-throttle) — open after 3 consecutive
 * failed outcomes; half-open in 9m30s". Without it a lasting incident read "stopped by approval:
 * failover … is not finished" every time, and not why nothing else was tried meanwhile.
 */
function alsoBlocked(p: EventPayloads['plan']): string {
  const others = (p.explanation?.ranking ?? []).filter((r) => r.policyId !== p.policyId && r.rejectedBecause.startsWith('blocked:'));
  return others.map((r) => `${r.action} (${r.policyId}) by ${r.rejectedBecause.replace(/^blocked:\s*/, '')}`).join(' | ');
}

/**
 * The other candidates of a blocked plan passed over for its incident — an action that already
 * failed on it (`throttle already tried on this incident ×3 (not recovered)`) or that an operator
 * rejected for it — in words: "throttle (already tried on this incident ×3, not recovered)". Without
 * it the line read as if nothing but the blocked action had been considered.
 */
function notAgain(p: EventPayloads['plan']): string {
  const others = (p.explanation?.ranking ?? []).filter((r) => r.policyId !== p.policyId && / on this incident\b/.test(r.rejectedBecause) && !r.rejectedBecause.startsWith('blocked:'));
  return others
    .map((r) => {
      const rb = r.rejectedBecause.startsWith(`${r.action} `) ? r.rejectedBecause.slice(r.action.length + 1) : r.rejectedBecause;
      // "… ×3 (not recovered)" → "… ×3, not recovered"; a rejection's "(pl_…; not asked again)" is what "not again" says.
      const what = rb.replace(/ \(([^()]*)\)$/, (_, x: string) => (x.includes('not asked again') ? '' : `, ${x}`));
      return `${r.action} (${what})`;
    })
    .join(' | ');
}

function joinWhy(stopped: string, also: string, notAgainToo: string): string {
  if (!stopped) return stopped;
  return `${stopped}${also ? `; also blocked: ${also}` : ''}${notAgainToo ? `; not again: ${notAgainToo}` : ''}`;
}

const PLAN_STATUS: Record<number, string> = {
  [PlanStatus.PLAN_STATUS_DISPATCH]: 'dispatch',
  [PlanStatus.PLAN_STATUS_PENDING_APPROVAL]: 'awaiting approval',
  [PlanStatus.PLAN_STATUS_BLOCKED]: 'blocked',
  [PlanStatus.PLAN_STATUS_NO_ACTION]: 'no action',
};
const ACTION_STATUS: Record<number, string> = {
  [ActionStatus.ACTION_STATUS_SUCCEEDED]: 'succeeded',
  [ActionStatus.ACTION_STATUS_FAILED]: 'failed',
  [ActionStatus.ACTION_STATUS_SKIPPED]: 'skipped',
};
const VERDICT: Record<number, string> = {
  [Verdict.VERDICT_RECOVERED]: 'recovered',
  [Verdict.VERDICT_NOT_RECOVERED]: 'not recovered',
  [Verdict.VERDICT_DRY_RUN]: 'dry run (not verified)',
  [Verdict.VERDICT_ACTION_FAILED]: 'action failed',
};

/** A verification verdict in the words outcome events use: `recovered`, `not recovered`, …, `unknown` for an unset one. */
export function verdictText(verdict: Verdict): string {
  return VERDICT[verdict] ?? 'unknown';
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);
}

const COLORS: Record<string, string> = { anomaly: '31', diagnosis: '33', plan: '36', action: '35', outcome: '32', approval: '34', model: '90', label: '34', training: '90', model_alert: '31' };

/** One readable line per event. */
export function formatEvent(e: EventRecord, color = false): string {
  const time = e.time.slice(11, 23);
  const type = e.type.padEnd(9);
  const t = color ? `\u001b[${COLORS[e.type] ?? '0'}m${type}\u001b[0m` : type;
  return `${time} ${t} ${e.component.padEnd(14)} ${e.summary}  [${e.id} ← ${e.parent_id || '-'}]`;
}

