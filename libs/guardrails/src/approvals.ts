import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '@x0/core';
import { formatDuration, type Risk } from './types';

/** An action waiting for an operator. */
export interface ApprovalRequest {
  planId: string;
  component: string;
  action: string;
  policyId?: string;
  risk?: Risk;
  /** Why approval is needed (shown to the operator). */
  reason: string;
  /**
   * When the action was put to an operator (the plan's time), ms since the epoch; the deadline
   * counts from it. Default (and at most): now.
   */
  requestedMs?: number;
}

/** A pending approval with its deadline. */
export interface PendingApproval extends ApprovalRequest {
  requestedMs: number;
  expiresMs: number;
}

/** Who decided what about a held action, and why: the audit trail's record. */
export interface ApprovalAudit {
  type: 'approval_decision';
  planId: string;
  component: string;
  action: string;
  policyId?: string;
  /** `withdrawn`: no longer needed before anyone decided (its incident ended), by `system`. */
  decision: 'approved' | 'rejected' | 'expired' | 'withdrawn';
  /** The operator, or `system` for an expiry or a withdrawal. */
  actor: string;
  reason: string;
  requestedMs: number;
  decidedMs: number;
}

/** Dependencies and settings of ApprovalQueue. */
export interface ApprovalQueueOptions {
  /** A pending approval expires after this long (default 900 s). */
  timeoutS?: number;
  /** Most pending approvals held at once (default 1,000); more are refused. */
  maxPending?: number;
  /** Decisions remembered, so a second approve/reject is answered (default 10,000). */
  maxDecided?: number;
  clock?: () => number;
  /** Called with every audit record (approve, reject, expiry, withdrawal), e.g. to publish it. */
  onDecision?: (audit: ApprovalAudit) => void;
}

/**
 * Held actions waiting for an operator. Each pending approval expires after a timeout
 * (expiry rejects it, with actor `system`); approve and reject record who decided and why.
 * Every decision produces an ApprovalAudit, returned and passed to `onDecision`.
 */
export class ApprovalQueue {
  private readonly pendings = new Map<string, PendingApproval>();
  private readonly decided = new Map<string, ApprovalAudit>();
  private readonly timeoutMs: number;
  private readonly maxPending: number;
  private readonly maxDecided: number;
  private readonly clock: () => number;
  private readonly onDecision?: (audit: ApprovalAudit) => void;

  constructor(options: ApprovalQueueOptions = {}) {
    const timeoutS = options.timeoutS ?? 900;
    if (!(timeoutS > 0)) throw new InvalidArgumentError('timeoutS', 'must be > 0');
    this.timeoutMs = timeoutS * 1000;
    this.maxPending = options.maxPending ?? 1000;
    this.maxDecided = options.maxDecided ?? 10_000;
    this.clock = options.clock ?? Date.now;
    this.onDecision = options.onDecision;
  }

  /** When a request made at `requestedMs` expires: `timeoutS` later. */
  deadline(requestedMs: number): number {
    return requestedMs + this.timeoutMs;
  }

  /**
   * Holds an action for approval until `timeoutS` after `req.requestedMs` (default now; one
   * already past it expires at the next `expire()`). Asking again for the same plan returns the
   * existing request. Throws FailedPreconditionError when the plan was already decided or the queue
   * is full, InvalidArgumentError for a missing field.
   */
  request(req: ApprovalRequest): PendingApproval {
    for (const f of ['planId', 'component', 'action'] as const) if (!req[f]) throw new InvalidArgumentError(f, 'must be non-empty');
    this.expire();
    const existing = this.pendings.get(req.planId);
    if (existing) return existing;
    const done = this.decided.get(req.planId);
    if (done) throw new FailedPreconditionError(`plan ${req.planId} was already ${done.decision} by ${done.actor}`);
    if (this.pendings.size >= this.maxPending) {
      throw new FailedPreconditionError(`${this.pendings.size} approvals pending, limit ${this.maxPending}; refusing plan ${req.planId}`);
    }
    const now = this.clock();
    const requestedMs = Math.min(req.requestedMs ?? now, now);
    const pending: PendingApproval = { ...req, requestedMs, expiresMs: this.deadline(requestedMs) };
    this.pendings.set(req.planId, pending);
    return pending;
  }

  /**
   * Approves a held action. Throws NotFoundError for an unknown plan,
   * FailedPreconditionError when it already expired or was decided,
   * InvalidArgumentError when `actor` is empty.
   */
  approve(planId: string, by: { actor: string; reason?: string }): ApprovalAudit {
    return this.decide(planId, 'approved', by);
  }

  /** Rejects a held action; throws like `approve`. */
  reject(planId: string, by: { actor: string; reason?: string }): ApprovalAudit {
    return this.decide(planId, 'rejected', by);
  }

  /** Rejects every pending approval past its deadline; returns their audit records. */
  expire(): ApprovalAudit[] {
    const now = this.clock();
    const out: ApprovalAudit[] = [];
    for (const p of this.pendings.values()) {
      if (now < p.expiresMs) continue;
      out.push(this.record(p, 'expired', 'system', `no decision within ${formatDuration(this.timeoutMs)}`, now));
    }
    return out;
  }

  /**
   * Withdraws a pending approval that is no longer needed (its incident ended before anyone
   * decided): recorded as decision `withdrawn` by `system` with `reason`. Undefined when the plan
   * is not pending (decided, expired or unknown): nothing to withdraw.
   */
  withdraw(planId: string, reason: string): ApprovalAudit | undefined {
    this.expire();
    const p = this.pendings.get(planId);
    return p ? this.record(p, 'withdrawn', 'system', reason, this.clock()) : undefined;
  }

  /** Pending approvals, oldest first (expired ones are expired first). */
  pending(): PendingApproval[] {
    this.expire();
    return [...this.pendings.values()];
  }

  /** The decision about a plan, if one was made and is still remembered. */
  decision(planId: string): ApprovalAudit | undefined {
    return this.decided.get(planId);
  }

  /** Pending approvals, to persist (e.g. in KV) and `restore()` after a restart. */
  snapshot(): PendingApproval[] {
    return [...this.pendings.values()];
  }

  /** Adds previously persisted pending approvals (keeping their original deadlines). */
  restore(pending: readonly PendingApproval[]): void {
    for (const p of pending) if (!this.pendings.has(p.planId) && !this.decided.has(p.planId)) this.pendings.set(p.planId, { ...p });
    this.expire();
  }

  private decide(planId: string, decision: 'approved' | 'rejected', by: { actor: string; reason?: string }): ApprovalAudit {
    if (!by.actor?.trim()) throw new InvalidArgumentError('actor', 'must be non-empty: every decision names who made it');
    this.expire();
    const p = this.pendings.get(planId);
    if (!p) {
      const done = this.decided.get(planId);
      if (done) throw refusedDecision(done);
      throw new NotFoundError('pending approval', planId);
    }
    return this.record(p, decision, by.actor.trim(), by.reason ?? '', this.clock());
  }

  private record(p: PendingApproval, decision: ApprovalAudit['decision'], actor: string, reason: string, now: number): ApprovalAudit {
    this.pendings.delete(p.planId);
    const audit: ApprovalAudit = {
      type: 'approval_decision',
      planId: p.planId,
      component: p.component,
      action: p.action,
      ...(p.policyId !== undefined ? { policyId: p.policyId } : {}),
      decision,
      actor,
      reason,
      requestedMs: p.requestedMs,
      decidedMs: now,
    };
    this.decided.set(p.planId, audit);
    if (this.decided.size > this.maxDecided) this.decided.delete(this.decided.keys().next().value as string);
    this.onDecision?.(audit);
    return audit;
  }
}

/**
 * Why a decision on a plan that was already settled is refused (FailedPreconditionError):
 * `approval for plan pl_1 expired at …`, `approval for plan pl_1 was withdrawn at …: <reason>`,
 * `plan pl_1 was already approved by alice`.
 */
export function refusedDecision(done: Pick<ApprovalAudit, 'planId' | 'decision' | 'actor' | 'reason' | 'decidedMs'>): FailedPreconditionError {
  const at = new Date(done.decidedMs).toISOString();
  if (done.decision === 'expired') return new FailedPreconditionError(`approval for plan ${done.planId} expired at ${at}`);
  if (done.decision === 'withdrawn') return new FailedPreconditionError(`approval for plan ${done.planId} was withdrawn at ${at}: ${done.reason}`);
  return new FailedPreconditionError(`plan ${done.planId} was already ${done.decision} by ${done.actor}`);
}
