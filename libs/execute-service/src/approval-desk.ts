import type { KV } from '@nats-io/kv';
import { NotFoundError, errorMessage } from '@x0/core';
import { type Bus, kvEntries, openKeyValue, toKvKey } from '@x0/bus';
import { incidentOfContext, Plan } from '@x0/contracts';
import { ApprovalQueue, refusedDecision, type ApprovalAudit, type PendingApproval } from '@x0/guardrails';
import type { Logger } from '@x0/service-kit';
import type { IncidentEnd } from './verifier';

/** Bucket of plans held for approval (and decided ones, for a while), by plan id. */
export const APPROVALS_BUCKET = 'x0_approvals';

/** A held plan as stored in KV (JSON). */
interface HeldRecord {
  state: 'pending' | 'decided';
  pending: PendingApproval;
  /** The Plan, protobuf as base64: what runs once approved. */
  plan: string;
  decision?: ApprovalAudit;
}

/** A plan held here: the plan, its queue entry, and the write of its pending record while one is in progress. */
interface Held {
  plan: Plan;
  pending: PendingApproval;
  /** Whether the pending record is in KV (a failed write is tried again when the plan is redelivered). */
  stored: boolean;
  /** When this process took it in (held, or restored at start), by its own clock. */
  heldMs: number;
  write?: Promise<void>;
}

/** Options of ApprovalDesk. */
export interface ApprovalDeskOptions {
  bus: Bus;
  logger: Logger;
  timeoutS: number;
  /**
   * Called for every decision (approve, reject, expiry, withdrawal) with the plan it is about
   * and when this process took it in (`heldMs`: held, or restored at start, by its own clock —
   * what it has heard about the component since can be compared with it); must publish the audit.
   */
  onDecision(plan: Plan, audit: ApprovalAudit, heldMs: number): Promise<void>;
  /**
   * Whether incident `incidentId` of `component` has ended since `sinceMs` (this process's
   * clock; the Verifier's `incidentEnded`): a pending approval held since then is withdrawn.
   * Undefined: approvals are never withdrawn.
   */
  incidentEnded?(component: string, incidentId: string, sinceMs: number): IncidentEnd | undefined;
}

/**
 * Why a plan held for an operator since `heldMs` is not carried out, when its incident ended
 * while it waited (`incidentEnded`: the Verifier's); undefined when it may still be open.
 */
export function planIncidentEnded(incidentEnded: NonNullable<ApprovalDeskOptions['incidentEnded']>, plan: Plan, heldMs: number): string | undefined {
  const end = incidentEnded(plan.meta!.component, plan.incident?.incidentId ?? '', heldMs);
  return end && incidentEndedReason(plan, end);
}

/**
 * The reason itself: the monitor reported the component without an open incident, or with
 * another one open, at `end.atMs`.
 */
function incidentEndedReason(plan: Plan, end: IncidentEnd): string {
  const incident = incidentOfContext(plan.incident) || 'it was made for';
  const seen = end.openIncidentId ? `with another incident open (${end.openIncidentId})` : 'without an open incident';
  return `incident ${incident} ended while the plan waited for an operator (the monitor reported ${plan.meta!.component} ${seen} at ${new Date(end.atMs).toISOString()}); a later incident gets its own plan`;
}

/**
 * Plans that need an operator: an ApprovalQueue (deadlines, who decided, why) whose pending
 * entries and plans are kept in KV, so a restart keeps them with their original deadlines.
 * Every second, expiries are checked, and a plan whose incident has ended is withdrawn.
 */
export class ApprovalDesk {
  private kv?: KV;
  private readonly queue: ApprovalQueue;
  /** Held plans by id: each one is here from the moment its queue entry is (both are what a decision needs). */
  private readonly held = new Map<string, Held>();
  /** Expiries noticed by the queue (whichever call noticed them), to publish. */
  private readonly expired: ApprovalAudit[] = [];
  private timer?: NodeJS.Timeout;
  private ticking = false;

  constructor(private readonly o: ApprovalDeskOptions) {
    this.queue = new ApprovalQueue({ timeoutS: o.timeoutS, onDecision: (a) => a.decision === 'expired' && this.expired.push(a) });
  }

  /** Opens the bucket and restores the pending approvals (expired ones expire at once). */
  async start(): Promise<number> {
    this.kv = await openKeyValue(this.o.bus, APPROVALS_BUCKET, { description: 'x0 execute: plans held for approval', ttl: 30 * 86_400_000 });
    const pending: PendingApproval[] = [];
    for (const e of await kvEntries(this.kv)) {
      if (e.value.length === 0) continue;
      try {
        const rec = e.json<HeldRecord>();
        if (rec.state !== 'pending') continue;
        // Records written before the reason dropped the plan-time "expires in" still carry it.
        rec.pending = { ...rec.pending, reason: pendingReason(rec.pending.reason) };
        this.held.set(rec.pending.planId, { plan: Plan.decode(Buffer.from(rec.plan, 'base64')), pending: rec.pending, stored: true, heldMs: Date.now() });
        pending.push(rec.pending);
      } catch (err) {
        this.o.logger.warn({ key: e.key, err: errorMessage(err) }, 'unreadable approval record skipped');
      }
    }
    this.queue.restore(pending);
    this.timer = setInterval(() => void this.tick(), 1000);
    this.timer.unref();
    await this.tick();
    return pending.length;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * Whether the approval of `plan` would already have expired (its deadline counts from the
   * plan's time): such a plan is not held — the plan service's slot for it has lapsed too.
   */
  pastDeadline(plan: Plan, nowMs = Date.now()): boolean {
    return this.queue.deadline(plan.meta!.timeMs) <= nowMs;
  }

  /** Pending approvals, oldest first. */
  pending(): PendingApproval[] {
    return this.queue.snapshot();
  }

  /**
   * Holds a plan for approval (persisted). A plan already held is left as it is (its record
   * written again if that failed before); one already decided (also before a restart) is not
   * held again. Returns whether it is now pending (or was decided while its record was written).
   *
   * The plan is listed, and can be decided, from the moment it enters the queue, before its
   * record is written: it is kept with its queue entry at once, and a decision's record waits
   * for that write (see settle).
   */
  async hold(plan: Plan): Promise<boolean> {
    const id = plan.meta!.id;
    let h = this.held.get(id);
    if (!h) {
      if ((await this.storedRecord(id))?.state === 'decided') return false;
      const guard = plan.explanation?.guardrails.find((l) => l.startsWith('approval:'));
      const pending = this.queue.request({
        planId: id,
        component: plan.meta!.component,
        action: plan.action,
        policyId: plan.policyId,
        reason: guard ? pendingReason(guard) : 'the policy requires approval',
        // The deadline counts from the plan, as the plan service's slot for it does (approval.timeoutS).
        requestedMs: plan.meta!.timeMs,
      });
      h = { plan, pending, stored: false, heldMs: Date.now() };
      this.held.set(id, h);
    }
    // Once decided, only the decided record is written (settle).
    if (!h.stored && !this.queue.decision(id)) await this.store(h);
    return true;
  }

  /**
   * An operator's decision. Throws NotFoundError (no such pending plan),
   * FailedPreconditionError (expired or already decided), InvalidArgumentError (no actor).
   * Calls onDecision (publish the audit; run an approved plan) before forgetting the plan.
   */
  async decide(planId: string, decision: 'approved' | 'rejected', by: { actor: string; reason?: string }): Promise<ApprovalAudit> {
    let audit: ApprovalAudit;
    try {
      audit = decision === 'approved' ? this.queue.approve(planId, by) : this.queue.reject(planId, by);
    } catch (err) {
      // The queue remembers only the decisions of this process: one made before a restart is in KV.
      if (err instanceof NotFoundError) await this.decidedBefore(planId);
      throw err;
    }
    await this.settle(audit);
    return audit;
  }

  /** Throws FailedPreconditionError, as the queue would, when KV records a decision on `planId`. */
  private async decidedBefore(planId: string): Promise<void> {
    const rec = await this.storedRecord(planId).catch(() => undefined);
    if (rec?.state === 'decided' && rec.decision) throw refusedDecision(rec.decision);
  }

  /** The stored record of `planId`; undefined when there is none (or it was deleted). Throws when KV cannot be read or the record is not JSON. */
  private async storedRecord(planId: string): Promise<HeldRecord | undefined> {
    const stored = await this.kv!.get(toKvKey(planId));
    return stored && stored.operation === 'PUT' && stored.value.length > 0 ? stored.json<HeldRecord>() : undefined;
  }

  /** Publishes the expiries, then withdraws the plans whose incident has ended (one run at a time). */
  private async tick(): Promise<void> {
    if (this.ticking || !this.kv) return;
    this.ticking = true;
    try {
      this.queue.expire();
      for (let audit = this.expired.shift(); audit; audit = this.expired.shift()) {
        await this.settle(audit).catch(() => undefined);
      }
      await this.withdrawEnded();
    } finally {
      this.ticking = false;
    }
  }

  private async withdrawEnded(): Promise<void> {
    const ended = this.o.incidentEnded;
    if (!ended) return;
    for (const p of this.queue.snapshot()) {
      const h = this.held.get(p.planId);
      if (!h) continue;
      const reason = planIncidentEnded(ended, h.plan, h.heldMs);
      if (!reason) continue;
      const audit = this.queue.withdraw(p.planId, reason);
      if (!audit) continue;
      this.o.logger.info({ plan: p.planId, component: p.component, action: p.action, reason: audit.reason }, 'approval withdrawn: its incident ended');
      await this.settle(audit).catch(() => undefined);
    }
  }

  /** Writes a held plan's pending record; one write at a time. */
  private store(h: Held): Promise<void> {
    h.write ??= this.kv!.put(toKvKey(h.pending.planId), heldRecord('pending', h.pending, h.plan))
      .then(() => {
        h.stored = true;
      })
      .finally(() => {
        h.write = undefined;
      });
    return h.write;
  }

  private async settle(audit: ApprovalAudit): Promise<void> {
    const h = this.held.get(audit.planId);
    // Cannot happen (a queue entry always comes with its plan); loud rather than a silent 'approved' that does nothing.
    if (!h) throw new Error(`plan ${audit.planId} was ${audit.decision}, but its plan is not held here: nothing carried out`);
    const plan = h.plan;
    try {
      await this.o.onDecision(plan, audit, h.heldMs);
    } catch (err) {
      // The decision stands; the record stays pending in KV, so a restart offers it again.
      this.o.logger.error({ plan: audit.planId, decision: audit.decision, err: errorMessage(err) }, 'approval decision not fully carried out');
      throw err;
    }
    // A pending record still being written would otherwise land after (over) the decided one.
    await h.write?.catch(() => undefined);
    const pending: PendingApproval = { planId: audit.planId, component: audit.component, action: audit.action, reason: '', requestedMs: audit.requestedMs, expiresMs: audit.decidedMs };
    await this.kv!.put(toKvKey(audit.planId), heldRecord('decided', pending, plan, audit)).catch((err) => this.o.logger.warn({ plan: audit.planId, err: errorMessage(err) }, 'cannot record the decision'));
    this.held.delete(audit.planId);
  }
}

/** The KV record of a held plan, as JSON (the plan as base64 protobuf). */
function heldRecord(state: HeldRecord['state'], pending: PendingApproval, plan: Plan, decision?: ApprovalAudit): string {
  const rec: HeldRecord = { state, pending, plan: Buffer.from(Plan.encode(plan).finish()).toString('base64'), ...(decision && { decision }) };
  return JSON.stringify(rec);
}

/**
 * Why a plan waits, from the plan's approval guardrail line: without the guard's prefix and its
 * plan-time `expires in 15m`, which a listing shows counting down from expiresMs instead.
 */
export function pendingReason(guardLine: string): string {
  return guardLine.replace(/^approval: needs_approval — /, '').replace(/;?\s*expires in [^;]*/, '').trim() || 'the policy requires approval';
}
