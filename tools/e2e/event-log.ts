/**
 * Collects every event of X0_EVENTS (decoded) while a scenario runs, indexed by id, so tests
 * can wait for an event and walk an incident's chain of parent ids.
 */
import type { Bus } from '@x0/bus';
import { eventFeed, type EventRecord } from '@x0/client';

export class EventLog {
  readonly events: EventRecord[] = [];
  readonly byId = new Map<string, EventRecord>();
  private readonly abort = new AbortController();
  private readonly done: Promise<void>;
  private waiters: Array<() => void> = [];

  constructor(bus: Bus, sinceMs = Date.now() - 3_600_000) {
    this.done = (async () => {
      for await (const e of eventFeed(bus, { follow: true, sinceMs, signal: this.abort.signal })) {
        this.events.push(e);
        this.byId.set(e.id, e);
        for (const w of this.waiters.splice(0)) w();
      }
    })().catch(() => undefined);
  }

  /** Waits until `pick` finds an event (checked on every new one); throws after `timeoutMs`. */
  async waitFor(pick: (events: readonly EventRecord[]) => EventRecord | undefined, timeoutMs: number, what = 'event'): Promise<EventRecord> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = pick(this.events);
      if (hit) return hit;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; saw ${this.events.length} events: ${this.events.map((e) => `${e.type}:${e.component}`).join(' ')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 250));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The event and its ancestors, newest first, following parent ids until one is not an event. */
  chain(id: string): { events: EventRecord[]; root: string } {
    const out: EventRecord[] = [];
    let cur = this.byId.get(id);
    let root = id;
    while (cur) {
      out.push(cur);
      root = cur.parent_id;
      cur = cur.parent_id ? this.byId.get(cur.parent_id) : undefined;
    }
    return { events: out, root };
  }

  count(type: EventRecord['type'], component?: string): number {
    return this.events.filter((e) => e.type === type && (!component || e.component === component)).length;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.done;
  }
}
