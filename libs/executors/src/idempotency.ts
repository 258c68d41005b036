import { errorMessage } from '@x0/core';
import { result, type ExecutionResult } from './types';

/** What is remembered about one idempotency key. */
export type IdempotencyRecord =
  | { state: 'started'; executor: string; startedMs: number }
  | { state: 'done'; executor: string; startedMs: number; finishedMs: number; result: ExecutionResult };

/**
 * Durable memory of idempotency keys, shared by replicas and restarts (the execute service
 * backs it with a JetStream KV bucket). `put` must be durable when it resolves.
 */
export interface IdempotencyStore {
  get(key: string): Promise<IdempotencyRecord | undefined>;
  put(key: string, record: IdempotencyRecord): Promise<void>;
  /**
   * Optional atomic "record unless present": stores `record` and resolves undefined when the
   * key was new, or resolves the existing record without writing. One round trip instead of
   * get + put, and no race between two replicas claiming the same key.
   */
  claim?(key: string, record: IdempotencyRecord): Promise<IdempotencyRecord | undefined>;
}

/** Options of IdempotencyGuard. */
export interface IdempotencyGuardOptions {
  /** Keys kept in memory, least recently used evicted first (default 10,000). */
  maxEntries?: number;
  store?: IdempotencyStore;
  clock?: () => number;
}

/** A result, and whether it was replayed from memory instead of acting. */
export interface GuardedResult {
  result: ExecutionResult;
  replayed: boolean;
}

/**
 * At-most-once execution per key. Before acting, the key is recorded as `started` (in
 * memory and in the store); afterwards as `done` with the result. A key seen again gets
 * the stored result back (`replayed`); a key found `started` — a crash or a lost write
 * between acting and recording — is not acted on again: the answer is `skipped`, saying
 * so. Concurrent calls with one key share one execution. If the store cannot record the
 * start, nothing is done (fail closed).
 */
export class IdempotencyGuard {
  private readonly lru = new Map<string, IdempotencyRecord>();
  private readonly inFlight = new Map<string, Promise<GuardedResult>>();
  private readonly maxEntries: number;
  private readonly store?: IdempotencyStore;
  private readonly clock: () => number;

  constructor(options: IdempotencyGuardOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.store = options.store;
    this.clock = options.clock ?? Date.now;
  }

  /** Runs `act` unless `key` was seen; see the class comment. */
  run(key: string, executor: string, act: () => Promise<ExecutionResult>): Promise<GuardedResult> {
    const running = this.inFlight.get(key);
    if (running) return running.then((r) => ({ result: r.result, replayed: true }));
    const p = this.runOnce(key, executor, act).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
    return p;
  }

  /** Number of keys held in memory. */
  get size(): number {
    return this.lru.size;
  }

  private async runOnce(key: string, executor: string, act: () => Promise<ExecutionResult>): Promise<GuardedResult> {
    const started = performance.now();
    const begin: IdempotencyRecord = { state: 'started', executor, startedMs: this.clock() };
    let seen = this.lru.get(key);
    let claimed = false;
    if (!seen && this.store) {
      try {
        if (this.store.claim) {
          seen = await this.store.claim(key, begin);
          claimed = seen === undefined;
        } else {
          seen = await this.store.get(key);
        }
      } catch (err) {
        return { result: result('failed', `idempotency store unavailable, not acting: ${errorMessage(err)}`, started, { reason: 'idempotency_store' }), replayed: false };
      }
    }
    if (seen) {
      this.remember(key, seen);
      if (seen.state === 'done') return { result: seen.result, replayed: true };
      return {
        result: result(
          'skipped',
          `an earlier attempt with idempotency key ${key} (executor ${seen.executor}) started at ${new Date(seen.startedMs).toISOString()} and did not record a result; not acting again`,
          started,
          { reason: 'unfinished_attempt', startedMs: seen.startedMs },
        ),
        replayed: true,
      };
    }
    try {
      if (!claimed) await this.store?.put(key, begin);
    } catch (err) {
      return { result: result('failed', `idempotency store unavailable, not acting: ${errorMessage(err)}`, started, { reason: 'idempotency_store' }), replayed: false };
    }
    this.remember(key, begin);
    const res = await act();
    const done: IdempotencyRecord = { state: 'done', executor, startedMs: begin.startedMs, finishedMs: this.clock(), result: res };
    this.remember(key, done);
    try {
      await this.store?.put(key, done);
    } catch (err) {
      // The action happened; the stored `started` still stops a redelivery from repeating it,
      // it just cannot replay this result. Say so rather than hide it.
      return { result: { ...res, details: { ...res.details, idempotencyStore: `result not recorded: ${errorMessage(err)}` } }, replayed: false };
    }
    return { result: res, replayed: false };
  }

  private remember(key: string, record: IdempotencyRecord): void {
    this.lru.delete(key);
    this.lru.set(key, record);
    if (this.lru.size > this.maxEntries) this.lru.delete(this.lru.keys().next().value as string);
  }
}

/** An in-memory IdempotencyStore (tests, single-process use). */
export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly records = new Map<string, IdempotencyRecord>();

  async get(key: string): Promise<IdempotencyRecord | undefined> {
    return this.records.get(key);
  }

  async put(key: string, record: IdempotencyRecord): Promise<void> {
    this.records.set(key, record);
  }

  async claim(key: string, record: IdempotencyRecord): Promise<IdempotencyRecord | undefined> {
    const existing = this.records.get(key);
    if (existing) return existing;
    this.records.set(key, record);
    return undefined;
  }
}
