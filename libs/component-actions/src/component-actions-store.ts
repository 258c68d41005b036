import type { KV, KvEntry } from '@nats-io/kv';
import { InvalidArgumentError, errorMessage } from '@x0/core';
import { type Bus, fromKvKey, kvEntries, openKeyValue, toKvKey } from '@x0/bus';
import { z } from 'zod';

/** Bucket holding, per component, the actions it can perform (JSON, see ComponentActionsRecord). */
export const COMPONENT_ACTIONS_BUCKET = 'x0_component_actions';

/** Where a component's action list came from: its agent's advertisement, or configuration only. */
export type ActionsSource = 'agent' | 'config';

/** What one component can do, as stored under its key. */
export interface ComponentActionsRecord {
  component: string;
  /** Sorted, de-duplicated action tokens. */
  actions: string[];
  source: ActionsSource;
  /** When the list was last learnt, ms since the epoch. */
  updatedMs: number;
}

const ACTION = /^[a-z][a-z0-9_-]{0,63}$/;
const recordSchema = z.strictObject({
  actions: z.array(z.string('must be a string').regex(ACTION, 'must be an action token ([a-z][a-z0-9_-]*)'), 'must be a list').max(256, 'must list at most 256 actions'),
  source: z.enum(['agent', 'config'], 'must be agent or config'),
  updatedMs: z.number('must be a number').int('must be an integer').min(0, 'must be ≥ 0'),
});

/**
 * Validates a stored value (`{actions, source, updatedMs}`) for `component`; returns the
 * record with the actions sorted and de-duplicated. Throws InvalidArgumentError naming the field.
 */
export function parseComponentActions(component: string, value: unknown): ComponentActionsRecord {
  const parsed = recordSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
    throw new InvalidArgumentError(field, issue.message);
  }
  return { component, actions: [...new Set(parsed.data.actions)].sort(), source: parsed.data.source, updatedMs: parsed.data.updatedMs };
}

/** A running KV watch: `ready` resolves once the values present at start were delivered. */
export interface BucketWatch {
  readonly ready: Promise<void>;
  stop(): void;
}

/**
 * The actions each component can perform, in NATS KV. The execute service writes them (from
 * agent advertisements, discovery and its executor configuration); the plan service watches
 * them and only ranks policies whose action the component can perform. A component without
 * a record is unknown: any policy's action may be tried.
 */
export class ComponentActionsStore {
  private constructor(readonly kv: KV) {}

  static async open(bus: Bus): Promise<ComponentActionsStore> {
    return new ComponentActionsStore(await openKeyValue(bus, COMPONENT_ACTIONS_BUCKET, { description: 'x0: actions each component can perform' }));
  }

  /** Stores a component's actions (validated); returns the stored record. */
  async put(component: string, value: { actions: readonly string[]; source: ActionsSource; updatedMs?: number }): Promise<ComponentActionsRecord> {
    if (!component) throw new InvalidArgumentError('component', 'must be non-empty');
    const record = parseComponentActions(component, { actions: [...value.actions], source: value.source, updatedMs: value.updatedMs ?? Date.now() });
    await this.kv.put(toKvKey(component), JSON.stringify({ actions: record.actions, source: record.source, updatedMs: record.updatedMs }));
    return record;
  }

  /** The record of one component, or undefined when it is unknown (or its entry is unreadable). */
  async get(component: string): Promise<ComponentActionsRecord | undefined> {
    const e = await this.kv.get(toKvKey(component));
    return e ? decodeEntry(e) : undefined;
  }

  /** Every readable record, sorted by component. */
  async list(): Promise<ComponentActionsRecord[]> {
    const out: ComponentActionsRecord[] = [];
    for (const { key } of await kvEntries(this.kv)) {
      const r = await this.get(fromKvKey(key));
      if (r) out.push(r);
    }
    return out.sort((a, b) => a.component.localeCompare(b.component));
  }

  /**
   * Calls `onChange(component, record)` for every current record, then for every change
   * (`undefined` when a record is deleted or unreadable), until `stop()`.
   */
  async watch(onChange: (component: string, record: ComponentActionsRecord | undefined) => void, onError?: (err: unknown) => void): Promise<BucketWatch> {
    return watchBucket(this.kv, (e) => onChange(fromKvKey(e.key), decodeEntry(e, onError)));
  }
}

function decodeEntry(e: KvEntry, onError?: (err: unknown) => void): ComponentActionsRecord | undefined {
  if (e.operation !== 'PUT' || e.value.length === 0) return undefined;
  try {
    return parseComponentActions(fromKvKey(e.key), e.json());
  } catch (err) {
    onError?.(new InvalidArgumentError('', `component actions entry '${e.key}' is unreadable: ${errorMessage(err)}`));
    return undefined;
  }
}

/**
 * Watches every key of a bucket (last values first, then updates, deletes included) and
 * resolves `ready` once the values present at the start have been delivered.
 */
export async function watchBucket(kv: KV, onEntry: (e: KvEntry) => void): Promise<BucketWatch> {
  const initial = (await kv.status()).values;
  let markReady!: () => void;
  const ready = new Promise<void>((r) => (markReady = r));
  if (initial === 0) markReady();
  const iter = await kv.watch({ key: '>' });
  (async () => {
    for await (const e of iter) {
      try {
        onEntry(e);
      } catch {
        // A failing listener must not end the watch; the next change is delivered as usual.
      }
      // delta = messages still pending on the watcher: 0 means caught up.
      if (!e.delta) markReady();
    }
  })()
    .catch(() => undefined)
    .finally(markReady);
  return { ready, stop: () => iter.stop() };
}
