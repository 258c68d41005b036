import type { KV } from '@nats-io/kv';
import type { Subscription } from '@nats-io/transport-node';
import { errorMessage } from '@x0/core';
import { type Bus, fromKvKey, kvEntries, partitionOf, provisionKeyValue, toKvKey } from '@x0/bus';
import {
  ActionResult,
  COMPONENT_HEALTH_CODEC,
  Verdict,
  parseSubject,
  severityFromProto,
  severityRank,
  type ComponentHealth,
  type Outcome,
} from '@x0/contracts';
import type { Logger } from '@x0/service-kit';
import { buildOutcome, type OutcomeReport } from './events';

/** Bucket of verifications in progress (and, briefly, finished ones), by action id. */
export const VERIFICATIONS_BUCKET = 'x0_verifications';

/**
 * A component is healthy when the monitor reports no open incident on it
 * (`open_anomaly_id` empty) and its current severity is below medium.
 */
export function isHealthy(h: Pick<ComponentHealth, 'openAnomalyId' | 'severity'>): boolean {
  return h.openAnomalyId === '' && severityRank(severityFromProto(h.severity)) < severityRank('medium');
}

/**
 * The last status of a component that did not recover, for a not-recovered Outcome's detail.
 * An incident still open while the latest sample scores below medium is said so in words: the
 * monitor keeps the incident open until its metrics are back within their normal from before it,
 * while the detector's score of the latest sample is against a baseline that adapts to a lasting
 * fault (`severity none, incident … open` read as a contradiction). With `incidentId` (the
 * verified action's incident) the incident is named by it and the status's open anomaly — the id
 * of its latest announcement — as that: `incident an_1 still open (latest announcement an_3)`.
 */
export function describeLastStatus(h: Pick<ComponentHealth, 'openAnomalyId' | 'severity'>, agoMs: number, incidentId = ''): string {
  const severity = severityFromProto(h.severity);
  const head = `last status ${fmtS(agoMs)} ago`;
  if (!h.openAnomalyId) return `${head}: severity ${severity}`;
  // open_anomaly_id is the incident's latest announcement; the incident is named by its own id
  // (the one anomaly events and x0 incidents use), the announcement only alongside it.
  const reannounced = incidentId !== '' && incidentId !== h.openAnomalyId;
  const incident = `incident ${reannounced ? incidentId : h.openAnomalyId}`;
  const latest = reannounced ? ` (latest announcement ${h.openAnomalyId})` : '';
  if (severityRank(severity) >= severityRank('medium')) return `${head}: severity ${severity}, ${incident} open${latest}`;
  return `${head}: ${incident} still open${latest} — its metrics are not back within their pre-incident normal (the latest sample scores severity ${severity} against a baseline that adapts to a lasting fault)`;
}

/** A verification as stored in KV (JSON). */
interface VerificationRecord {
  state: 'pending' | 'done';
  component: string;
  /** When the action completed, ms since the epoch: time to recover counts from here. */
  startedMs: number;
  /** The component must be healthy by then. */
  deadlineMs: number;
  /** First healthy status after the action. */
  recoveredMs?: number;
  /** …and it must stay healthy until then. */
  holdUntilMs?: number;
  /** Resumed after a restart: statuses may have been missed. */
  resumed?: boolean;
  /** The ActionResult, protobuf as base64 (the outcome is built from it). */
  action: string;
}

interface Tracked {
  id: string;
  rec: VerificationRecord;
  action: ActionResult;
  timer?: NodeJS.Timeout;
  decided?: boolean;
}

/** Options of Verifier. */
export interface VerifierOptions {
  bus: Bus;
  logger: Logger;
  windowMs: number;
  holdMs: number;
  /** Publishes an Outcome (with its id as Nats-Msg-Id); throws when it could not be stored. */
  publish(outcome: Outcome): Promise<void>;
  /** Called for every component the monitor reports on (action discovery). */
  onComponent?(component: string): void;
  partition?: { index: number; count: number };
  /** After a restart, a verification gets at least this much more time (default: the hold time, at least 2 s). */
  resumeGraceMs?: number;
}

const fmtS = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** How an incident was seen to end (Verifier.incidentEnded). */
export interface IncidentEnd {
  /** When the status that says so was received (this process's clock). */
  atMs: number;
  /** The other incident that status names as open; '' when it names none. */
  openIncidentId: string;
}

/**
 * Watches the monitor's live ComponentHealth (`x0.status.<component>`, core NATS) after each
 * action and decides its Outcome:
 * - recovered: the component became healthy (see isHealthy) within the window and stayed
 *   healthy for the hold time; time to recover = first healthy status − action;
 * - not recovered: the window ended first;
 * - not recovered with anomaly_returned: healthy, then unhealthy again during the hold.
 * Verifications are kept in KV, so a restarted service resumes them and every action gets
 * exactly one Outcome.
 */
export class Verifier {
  private kv?: KV;
  private sub?: Subscription;
  private readonly tracked = new Map<string, Tracked>();
  private readonly lastHealth = new Map<string, { h: ComponentHealth; receivedMs: number }>();
  /** When the latest status without an open incident was received, by component. */
  private readonly lastNoIncident = new Map<string, number>();
  private stopped = false;

  constructor(private readonly o: VerifierOptions) {}

  /**
   * Opens the bucket, resumes stored verifications and starts watching statuses. Entries are
   * kept 4 × (window + hold), at least a day; an existing bucket is updated to that TTL.
   */
  async start(): Promise<void> {
    const ttl = Math.max(24 * 3_600_000, 4 * (this.o.windowMs + this.o.holdMs));
    this.kv = await provisionKeyValue(this.o.bus, VERIFICATIONS_BUCKET, { description: 'x0 execute: verifications in progress', ttl });
    this.sub = this.o.bus.nc.subscribe('x0.status.>');
    this.loop(this.sub);
    const resumed = await this.resume();
    if (resumed > 0) this.o.logger.info({ resumed }, 'verifications resumed after a restart');
  }

  /** Stops watching; verifications in progress stay in KV for the next start. */
  stop(): void {
    this.stopped = true;
    this.sub?.unsubscribe();
    for (const t of this.tracked.values()) clearTimeout(t.timer);
    this.tracked.clear();
  }

  /** Whether the monitor's latest status (received within `maxAgeMs`) shows the component healthy. */
  healthyNow(component: string, maxAgeMs = 10_000): boolean {
    const last = this.lastHealth.get(component);
    return !!last && Date.now() - last.receivedMs <= maxAgeMs && isHealthy(last.h);
  }

  /**
   * Whether incident `incidentId` of `component`, open at `sinceMs` (this process's clock), has
   * ended since, by the statuses received after then: the latest one without an open incident
   * (the monitor names the open incident in every status until it closes it), or else the latest
   * one naming another open incident (`open_incident_id`; so also an incident that ended, and
   * another opened, while this process was not listening). Undefined when no such status was
   * received (by this process: statuses from before a restart are not known); without an
   * `incidentId` only the first kind counts.
   */
  incidentEnded(component: string, incidentId: string, sinceMs: number): IncidentEnd | undefined {
    const none = this.lastNoIncident.get(component);
    if (none !== undefined && none > sinceMs) return { atMs: none, openIncidentId: '' };
    const last = this.lastHealth.get(component);
    const other = last?.h.openIncidentId ?? '';
    if (!incidentId || !other || other === incidentId || last!.receivedMs <= sinceMs) return undefined;
    return { atMs: last!.receivedMs, openIncidentId: other };
  }

  /** Verifications in progress on this replica. */
  get pending(): number {
    return this.tracked.size;
  }

  /**
   * Starts verifying a succeeded action (persisted first). A second call for the same
   * action (a redelivered plan) changes nothing, also after a restart or once decided.
   */
  async track(action: ActionResult): Promise<void> {
    const id = action.meta!.id;
    if (this.tracked.has(id)) return;
    const rec: VerificationRecord = {
      state: 'pending',
      component: action.meta!.component,
      startedMs: action.meta!.timeMs,
      deadlineMs: action.meta!.timeMs + this.o.windowMs,
      action: Buffer.from(ActionResult.encode(action).finish()).toString('base64'),
    };
    try {
      await this.kv!.create(toKvKey(id), JSON.stringify(rec));
    } catch (err) {
      // Already stored: pending (resumed at start) or done. Nothing to add. Otherwise the
      // write failed: throw, so the plan is redelivered rather than left unverified.
      if (await this.kv!.get(toKvKey(id)).catch(() => null)) return;
      throw err;
    }
    this.schedule({ id, rec, action });
  }

  private async resume(): Promise<number> {
    const now = Date.now();
    const grace = this.o.resumeGraceMs ?? Math.max(2000, this.o.holdMs);
    let n = 0;
    for (const e of await kvEntries(this.kv!)) {
      const key = e.key;
      if (e.value.length === 0) continue;
      let rec: VerificationRecord;
      let action: ActionResult;
      try {
        rec = e.json<VerificationRecord>();
        action = ActionResult.decode(Buffer.from(rec.action, 'base64'));
      } catch (err) {
        this.o.logger.warn({ key, err: errorMessage(err) }, 'unreadable verification record skipped');
        continue;
      }
      if (rec.state !== 'pending' || !this.owns(rec.component)) continue;
      // Statuses sent while we were down are lost: give the verification a little more time.
      rec.resumed = true;
      if (rec.recoveredMs === undefined) rec.deadlineMs = Math.max(rec.deadlineMs, now + grace);
      else rec.holdUntilMs = Math.max(rec.holdUntilMs ?? 0, now + grace);
      this.schedule({ id: fromKvKey(key), rec, action });
      n++;
    }
    return n;
  }

  private owns(component: string): boolean {
    const p = this.o.partition;
    return !p || partitionOf(`x0.status.${component}`, p.count) === p.index;
  }

  private schedule(t: Tracked): void {
    if (this.stopped) return;
    this.tracked.set(t.id, t);
    clearTimeout(t.timer);
    const wakeAt = t.rec.recoveredMs !== undefined ? t.rec.holdUntilMs! : t.rec.deadlineMs;
    t.timer = setTimeout(() => this.onTimer(t), Math.max(0, wakeAt - Date.now()));
  }

  private onTimer(t: Tracked): void {
    const { rec } = t;
    if (rec.recoveredMs !== undefined) {
      const ttr = rec.recoveredMs - rec.startedMs;
      const note = rec.resumed ? ' (verification resumed after a restart: the time is an upper bound)' : '';
      this.decide(t, {
        verdict: Verdict.VERDICT_RECOVERED,
        recovered: true,
        timeToRecoverMs: ttr,
        anomalyReturned: false,
        detail: `${rec.component} recovered ${fmtS(ttr)} after ${t.action.action} and stayed healthy for ${fmtS(rec.holdUntilMs! - rec.recoveredMs)}${note}`,
      });
      return;
    }
    const last = this.lastHealth.get(rec.component);
    // Not healthy once since the action, so the incident still open is the action's own.
    const seen = last ? describeLastStatus(last.h, Date.now() - last.receivedMs, t.action.incident?.incidentId) : 'no status from the monitor';
    this.decide(t, {
      verdict: Verdict.VERDICT_NOT_RECOVERED,
      recovered: false,
      timeToRecoverMs: 0,
      anomalyReturned: false,
      detail: `${rec.component} not healthy ${fmtS(rec.deadlineMs - rec.startedMs)} after ${t.action.action} (${seen})`,
    });
  }

  private async loop(sub: Subscription): Promise<void> {
    for await (const m of sub) {
      let h: ComponentHealth;
      let component: string;
      try {
        const parsed = parseSubject(m.subject);
        if (parsed.type !== 'status') continue;
        component = parsed.component;
        h = COMPONENT_HEALTH_CODEC.decode(m.data);
      } catch {
        continue;
      }
      const now = Date.now();
      this.lastHealth.set(component, { h, receivedMs: now });
      if (!h.openAnomalyId) this.lastNoIncident.set(component, now);
      this.o.onComponent?.(component);
      for (const t of this.tracked.values()) if (t.rec.component === component && !t.decided) this.onStatus(t, h, now);
    }
  }

  private onStatus(t: Tracked, h: ComponentHealth, now: number): void {
    const { rec } = t;
    const healthy = isHealthy(h);
    if (rec.recoveredMs === undefined) {
      if (!healthy || now > rec.deadlineMs) return;
      rec.recoveredMs = now;
      rec.holdUntilMs = now + this.o.holdMs;
      this.persist(t);
      this.schedule(t);
      return;
    }
    if (!healthy && now < rec.holdUntilMs!) {
      const ttr = rec.recoveredMs - rec.startedMs;
      this.decide(t, {
        verdict: Verdict.VERDICT_NOT_RECOVERED,
        recovered: false,
        timeToRecoverMs: 0,
        anomalyReturned: true,
        detail: `${rec.component} recovered ${fmtS(ttr)} after ${t.action.action}, but the anomaly returned ${fmtS(now - rec.recoveredMs)} later (severity ${severityFromProto(h.severity)}${h.openAnomalyId ? `, incident ${h.openAnomalyId}` : ''})`,
      });
    }
  }

  private persist(t: Tracked): void {
    this.kv!.put(toKvKey(t.id), JSON.stringify(t.rec)).catch((err) => this.o.logger.warn({ action: t.id, err: errorMessage(err) }, 'cannot persist verification progress'));
  }

  private decide(t: Tracked, report: OutcomeReport): void {
    if (t.decided || this.stopped) return;
    t.decided = true;
    clearTimeout(t.timer);
    const outcome = buildOutcome(t.action, report, Date.now());
    const attempt = async (n: number): Promise<void> => {
      if (this.stopped) return;
      try {
        await this.o.publish(outcome);
      } catch (err) {
        // Not stored: try again (same id, so a late duplicate is dropped by the stream).
        this.o.logger.warn({ action: t.id, err: errorMessage(err), attempt: n }, 'cannot publish outcome; retrying');
        t.timer = setTimeout(() => void attempt(n + 1), Math.min(10_000, 250 * 2 ** n));
        return;
      }
      this.tracked.delete(t.id);
      await this.kv!.put(toKvKey(t.id), JSON.stringify({ ...t.rec, state: 'done' })).catch((err) =>
        this.o.logger.warn({ action: t.id, err: errorMessage(err) }, 'outcome published but the verification is not marked done; a restart would publish it again (dropped as a duplicate)'),
      );
    };
    void attempt(0);
  }
}
