import type { Subscription } from '@nats-io/transport-node';
import type { Bus } from '@x0/bus';
import { COMPONENT_HEALTH_CODEC, type ComponentHealth } from '@x0/contracts';
import { errorMessage } from '@x0/core';
import type { Logger } from '@x0/service-kit';

/** Options of {@link IncidentWindows}. */
export interface IncidentWindowsOptions {
  /** Closed incidents are remembered this long after they end, ms. */
  keepMs: number;
  /**
   * Samples this close to an incident (before its first status, after its last) count as part
   * of it, ms: the fault starts before the monitor flags it and fades after it clears.
   */
  marginMs: number;
  /** Closed incidents kept per component, the newest (default 100). */
  maxPerComponent?: number;
  /**
   * An incident counts as one for this long from its start, ms (default: for as long as it
   * lasts): a change that lasts longer is how the component behaves now, and drift is judged
   * on it again. Measured in the statuses' own time.
   */
  maxIncidentMs?: number;
}

interface Interval {
  startMs: number;
  endMs: number;
}

/**
 * When each component had an open incident, from the monitor's live ComponentHealth
 * (`x0.status.<component>`, core NATS: at once on a change, about every second otherwise):
 * an incident is open from the first status naming an open anomaly until the first that names
 * none. The trainer leaves those samples out of its input-drift windows and does not judge a
 * component's drift while its incident is open: a fault is what the detector is there to flag,
 * not a new normal to retrain on (before, a lasting outage raised an `input_drift` alert 20 s in
 * and the drift job trained the detector on the outage).
 *
 * A restarted trainer starts from the incidents of the stored events (`remember`), so samples
 * of an incident from before the restart are not taken for drift either.
 */
export class IncidentWindows {
  private readonly open = new Map<string, { anomalyId: string; sinceMs: number; lastMs: number }>();
  private readonly closed = new Map<string, Interval[]>();
  private sub?: Subscription;

  constructor(private readonly o: IncidentWindowsOptions) {}

  /** Follows the monitor's statuses until `stop()`. Undecodable ones are logged at debug and skipped. */
  watch(bus: Bus, logger: Logger): void {
    this.sub = bus.nc.subscribe('x0.status.>', {
      callback: (err, msg) => {
        if (err) return;
        try {
          this.observe(COMPONENT_HEALTH_CODEC.decode(msg.data));
        } catch (e) {
          logger.debug({ subject: msg.subject, err: errorMessage(e) }, 'undecodable component status ignored');
        }
      },
    });
  }

  stop(): void {
    this.sub?.unsubscribe();
    this.sub = undefined;
  }

  /** One status of a component, at its own time. */
  observe(h: Pick<ComponentHealth, 'component' | 'timeMs' | 'openAnomalyId'>): void {
    if (!h.component || !(h.timeMs > 0)) return;
    const open = this.open.get(h.component);
    if (h.openAnomalyId) {
      if (!open) this.open.set(h.component, { anomalyId: h.openAnomalyId, sinceMs: this.continuedFrom(h.component, h.timeMs) ?? h.timeMs, lastMs: h.timeMs });
      else open.lastMs = Math.max(open.lastMs, h.timeMs);
      return;
    }
    if (!open) return;
    this.open.delete(h.component);
    const list = this.closed.get(h.component) ?? [];
    list.push({ startMs: open.sinceMs, endMs: h.timeMs });
    const keepFrom = h.timeMs - this.o.keepMs;
    while (list.length > 0 && (list[0].endMs < keepFrom || list.length > (this.o.maxPerComponent ?? 100))) list.shift();
    this.closed.set(h.component, list);
  }

  /**
   * The start of a remembered incident still going on at `timeMs` (its span reaches it): the
   * status that names it continues it, from its true start — so maxIncidentMs counts from
   * there, not from a restart. The span is taken out of the closed ones.
   */
  private continuedFrom(component: string, timeMs: number): number | undefined {
    const list = this.closed.get(component);
    const k = list?.findIndex((i) => i.endMs >= timeMs) ?? -1;
    if (k < 0) return undefined;
    const [span] = list!.splice(k, 1);
    return span.startMs;
  }

  /** Whether the component's latest status names an open incident, not yet open for longer than maxIncidentMs. */
  isOpen(component: string): boolean {
    const open = this.open.get(component);
    return open !== undefined && open.lastMs - open.sinceMs < this.maxMs;
  }

  private get maxMs(): number {
    return this.o.maxIncidentMs ?? Infinity;
  }

  /** Whether a sample of the component at `timeMs` falls in one of its incidents (with the margin). */
  covers(component: string, timeMs: number): boolean {
    const m = this.o.marginMs;
    const open = this.open.get(component);
    if (open && timeMs >= open.sinceMs - m && timeMs < open.sinceMs + this.maxMs) return true;
    for (const i of this.closed.get(component) ?? []) if (timeMs >= i.startMs - m && timeMs <= Math.min(i.endMs, i.startMs + this.maxMs) + m) return true;
    return false;
  }

  /**
   * Incidents known from elsewhere (the stored events, at a start: `replayIncidentSpans`), as
   * closed spans: covered like the ones the statuses closed. One still open is marked open by
   * the next status that names it, within the monitor's status interval, from its start. Pass
   * the spans as they happened: maxIncidentMs is applied here.
   */
  remember(spans: ReadonlyArray<{ component: string; startMs: number; endMs: number }>): void {
    for (const s of spans) {
      if (!s.component || !(s.endMs >= s.startMs)) continue;
      const list = this.closed.get(s.component) ?? [];
      list.push({ startMs: s.startMs, endMs: s.endMs });
      list.sort((a, b) => a.endMs - b.endMs);
      this.closed.set(s.component, list.slice(-(this.o.maxPerComponent ?? 100)));
    }
  }
}
