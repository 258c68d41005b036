import { DeliverPolicy, type JsMsg } from '@nats-io/jetstream';
import type { Bus } from '@x0/bus';
import { EVENT_CODECS, STREAMS, decodeMetricBatch, eventFilter, isSubjectToken, metricsSubject, parseSubject, type EventPayloads } from '@x0/contracts';
import { EventLoopSlice } from './event-loop-slice';

/** One metric's values over time, oldest first. */
export interface Series {
  t: number[];
  v: number[];
}

/** Metrics replayed from X0_METRICS: component → metric → series. */
export interface MetricWindow {
  /** First and last sample time read (`sinceMs` when nothing was). */
  startMs: number;
  endMs: number;
  series: Map<string, Map<string, Series>>;
  messages: number;
  samples: number;
  /** Stream sequence the replay read up to. */
  lastSeq: number;
}

/** Events replayed from X0_EVENTS. */
export interface EventWindow {
  actions: EventPayloads['action'][];
  outcomes: EventPayloads['outcome'][];
  anomalies: EventPayloads['anomaly'][];
}

interface ReadOptions {
  stream: string;
  /** One filter (nats-server 2.9 takes a single filter subject per consumer). */
  filterSubject: string;
  sinceMs: number;
  /** Read at most the newest this many messages. */
  maxMessages?: number;
  /** Only messages after this stream sequence. */
  afterSeq?: number;
  onMessage(m: JsMsg): void;
  onProgress?(read: number, total: number): void;
}

/**
 * Reads a stream from `sinceMs` to its end at the time of the call with an ordered consumer
 * (nothing durable is left behind). With `maxMessages`, a longer window is cut to its newest
 * messages. Returns the number of messages read.
 */
async function readWindow(bus: Bus, o: ReadOptions): Promise<{ read: number; lastSeq: number }> {
  const info = await bus.jsm.streams.info(o.stream);
  const lastSeq = info.state.last_seq;
  if (info.state.messages === 0 || lastSeq <= (o.afterSeq ?? 0)) return { read: 0, lastSeq };
  let startSeq = o.afterSeq !== undefined ? Math.max(info.state.first_seq, o.afterSeq + 1) : 0;
  if (o.maxMessages !== undefined && lastSeq - Math.max(startSeq, info.state.first_seq) + 1 > o.maxMessages) startSeq = lastSeq - o.maxMessages + 1;
  const consumer = await bus.js.consumers.get(o.stream, {
    filter_subjects: o.filterSubject,
    ...(startSeq > 0
      ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: startSeq }
      : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(o.sinceMs).toISOString() }),
  });
  const total = (await consumer.info()).num_pending;
  if (total === 0) return { read: 0, lastSeq };
  let read = 0;
  // Buffered messages come without a macrotask turn: yield now and then so the service keeps answering.
  const slice = new EventLoopSlice();
  const messages = await consumer.consume();
  try {
    for await (const m of messages) {
      await slice.maybeYield();
      // A window cut by sequence may start before sinceMs.
      if (m.info.timestampNanos / 1e6 >= o.sinceMs && m.seq <= lastSeq) o.onMessage(m);
      read++;
      if (read % 1000 === 0) o.onProgress?.(read, total);
      if (m.info.pending === 0 || m.seq >= lastSeq) break;
    }
  } finally {
    await messages.close().catch(() => undefined);
  }
  o.onProgress?.(read, total);
  return { read, lastSeq };
}

/**
 * Replays the metric batches of X0_METRICS published since `sinceMs` (undecodable ones are
 * skipped: the monitor dead-letters them) into per-component, per-metric series. With
 * `components`, only theirs are kept; a single component is read through its own subject
 * (the server skips the other components' batches; `maxMessages` still counts from the
 * stream's end, every component's batches included).
 */
export async function replayMetrics(
  bus: Bus,
  options: { sinceMs: number; maxMessages?: number; afterSeq?: number; components?: ReadonlySet<string>; onProgress?: (read: number, total: number) => void },
): Promise<MetricWindow> {
  const window: MetricWindow = { startMs: options.sinceMs, endMs: options.sinceMs, series: new Map(), messages: 0, samples: 0, lastSeq: 0 };
  let firstMs = Infinity;
  let lastMs = -Infinity;
  const only = options.components?.size === 1 ? [...options.components][0] : undefined;
  const { lastSeq } = await readWindow(bus, {
    stream: STREAMS.metrics.name,
    filterSubject: only !== undefined && isSubjectToken(only) ? metricsSubject(only) : STREAMS.metrics.subjects[0],
    sinceMs: options.sinceMs,
    maxMessages: options.maxMessages,
    afterSeq: options.afterSeq,
    onProgress: options.onProgress,
    onMessage: (m) => {
      let parsed;
      let batch;
      try {
        parsed = parseSubject(m.subject);
        batch = decodeMetricBatch(m.data);
      } catch {
        return;
      }
      if (parsed.type !== 'metrics' || (options.components && !options.components.has(parsed.component))) return;
      window.messages++;
      const component = parsed.component;
      let metrics = window.series.get(component);
      if (!metrics) window.series.set(component, (metrics = new Map()));
      const batchTime = batch.timeMs > 0 ? batch.timeMs : m.info.timestampNanos / 1e6;
      for (const s of batch.samples) {
        if (!Number.isFinite(s.value) || !s.metric) continue;
        let series = metrics.get(s.metric);
        if (!series) metrics.set(s.metric, (series = { t: [], v: [] }));
        const t = s.timeMs > 0 ? s.timeMs : batchTime;
        series.t.push(t);
        series.v.push(s.value);
        window.samples++;
        if (t > lastMs) lastMs = t;
        if (t < firstMs) firstMs = t;
      }
    },
  });
  window.lastSeq = lastSeq;
  // The window is what was read, in sample time (publishers may send history with older times).
  if (window.samples > 0) {
    window.startMs = firstMs;
    window.endMs = lastMs;
  }
  // Batches may arrive out of order across publishers: sort each series by time.
  for (const metrics of window.series.values()) for (const s of metrics.values()) sortSeries(s);
  return window;
}

/** Replays the action, outcome and anomaly events of X0_EVENTS since `sinceMs`. */
export async function replayEvents(bus: Bus, options: { sinceMs: number; onProgress?: (read: number, total: number) => void }): Promise<EventWindow> {
  const out: EventWindow = { actions: [], outcomes: [], anomalies: [] };
  await readWindow(bus, {
    stream: STREAMS.events.name,
    filterSubject: eventFilter(),
    sinceMs: options.sinceMs,
    onProgress: options.onProgress,
    onMessage: (m) => {
      try {
        const parsed = parseSubject(m.subject);
        if (parsed.type !== 'event') return;
        if (parsed.event === 'action') out.actions.push(EVENT_CODECS.action.decode(m.data));
        else if (parsed.event === 'outcome') out.outcomes.push(EVENT_CODECS.outcome.decode(m.data));
        else if (parsed.event === 'anomaly') out.anomalies.push(EVENT_CODECS.anomaly.decode(m.data));
      } catch {
        // Undecodable events were dead-lettered by their consumers; nothing to learn from them.
      }
    },
  });
  return out;
}

/**
 * A sample of the current traffic, for drift: the metric batches of X0_METRICS after
 * `afterSeq`, at most the newest `count`, as component → rows of `{ metric → value }` per
 * sample time, oldest first, and the sequence read up to (pass it as the next `afterSeq`).
 */
export async function sampleRecentMetrics(
  bus: Bus,
  count: number,
  afterSeq = 0,
): Promise<{ rows: Map<string, Array<Map<string, number>>>; times: Map<string, number[]>; lastSeq: number }> {
  const w = await replayMetrics(bus, { sinceMs: 0, maxMessages: count, afterSeq });
  const rows = new Map<string, Array<Map<string, number>>>();
  const times = new Map<string, number[]>();
  for (const [component, metrics] of w.series) {
    const timed = timedRowsByTime(metrics);
    rows.set(component, timed.rows);
    times.set(component, timed.times);
  }
  return { rows, times, lastSeq: w.lastSeq };
}

/**
 * The rows of a model's training window (`startMs`–`endMs`), per component, as far as
 * X0_METRICS still holds them (at most its newest 50,000 batches from `startMs`), less the
 * rows `leaveOut` names (incident samples), and the sequence read up to: the drift reference
 * of a detector champion.
 */
export async function replayTrainingRows(
  bus: Bus,
  window: { startMs: number; endMs: number },
  leaveOut: (component: string, tMs: number) => boolean = () => false,
): Promise<{ rows: Map<string, Array<Map<string, number>>>; lastSeq: number }> {
  const replayed = await replayMetrics(bus, { sinceMs: window.startMs, maxMessages: 50_000 });
  const rows = new Map<string, Array<Map<string, number>>>();
  for (const [component, metrics] of replayed.series) {
    const timed = timedRowsByTime(metrics);
    rows.set(component, timed.rows.filter((_, i) => timed.times[i] <= window.endMs && !leaveOut(component, timed.times[i])));
  }
  return { rows, lastSeq: replayed.lastSeq };
}

/** Rows of one component: for each distinct sample time, the values of its metrics, with each row's sample time (`times[i]` is the time of `rows[i]`). */
export function timedRowsByTime(metrics: ReadonlyMap<string, Series>): { rows: Array<Map<string, number>>; times: number[] } {
  const byTime = new Map<number, Map<string, number>>();
  for (const [metric, s] of metrics) {
    for (let i = 0; i < s.t.length; i++) {
      let row = byTime.get(s.t[i]);
      if (!row) byTime.set(s.t[i], (row = new Map()));
      row.set(metric, s.v[i]);
    }
  }
  const sorted = [...byTime.entries()].sort((a, b) => a[0] - b[0]);
  return { rows: sorted.map(([, row]) => row), times: sorted.map(([t]) => t) };
}

function sortSeries(s: Series): void {
  let sorted = true;
  for (let i = 1; i < s.t.length && sorted; i++) if (s.t[i] < s.t[i - 1]) sorted = false;
  if (sorted) return;
  const order = s.t.map((_, i) => i).sort((a, b) => s.t[a] - s.t[b]);
  s.t = order.map((i) => s.t[i]);
  s.v = order.map((i) => s.v[i]);
}
