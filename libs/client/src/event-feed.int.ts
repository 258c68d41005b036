import { connectBus, provisionStreams, type Bus } from '@x0/bus';
import { publishEvent, startNatsServer, type NatsServerProcess } from '@x0/bus/testing';
import { Anomaly, Severity } from '@x0/contracts';
import { eventFeed, type EventRecord } from './event-feed';

const anomaly = (id: string, component: string, timeMs: number) =>
  Anomaly.fromPartial({ meta: { id, parentId: `mb_${id}`, component, timeMs, source: 'test' }, score: 0.9, severity: Severity.SEVERITY_HIGH, kind: 'queue' });

/** Reads a feed to its end, or gives up after `ms` (a hung feed). */
async function readAll(feed: AsyncGenerator<EventRecord>, ms = 5000): Promise<EventRecord[] | 'hung'> {
  const out: EventRecord[] = [];
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), ms)));
  const read = (async () => {
    for await (const e of feed) out.push(e);
    return out;
  })();
  try {
    return await Promise.race([read, hung]);
  } finally {
    clearTimeout(timer);
  }
}

describe('eventFeed without follow (x0 events --since, x0 audit, x0 pending)', () => {
  let nats: NatsServerProcess;
  let bus: Bus;

  beforeAll(async () => {
    nats = await startNatsServer();
    bus = await connectBus({ url: nats.url, name: 'event-feed-test' });
    await provisionStreams(bus.jsm);
    const now = Date.now();
    await publishEvent(bus, 'anomaly', anomaly('an_1', 'demo-queue', now));
    await publishEvent(bus, 'anomaly', anomaly('an_2', 'demo-queue', now));
  }, 30_000);

  afterAll(async () => {
    await bus?.drain();
    await nats?.stop();
  });

  it('ends when caught up: the stored events of the component', async () => {
    const got = await readAll(eventFeed(bus, { sinceMs: Date.now() - 60_000, follow: false, component: 'demo-queue' }));
    expect(got === 'hung' ? got : got.map((e) => e.id)).toEqual(['an_1', 'an_2']);
  });

  it('ends at once when nothing matches: a component without events, a window after the last event (it waited for the next event)', async () => {
    const consumers = async () => {
      const names: string[] = [];
      for await (const c of bus.jsm.consumers.list('X0_EVENTS')) names.push(c.name);
      return names.sort();
    };
    const before = await consumers();
    expect(await readAll(eventFeed(bus, { sinceMs: Date.now() - 60_000, follow: false, component: 'demo-web' }))).toEqual([]);
    expect(await readAll(eventFeed(bus, { sinceMs: Date.now() + 1000, follow: false }))).toEqual([]);
    expect(await consumers()).toEqual(before); // the probe leaves no consumer behind
  });

  it('follow - ends when its signal aborts, also when it aborted while the feed was still connecting (Ctrl-C right after start)', async () => {
    const early = new AbortController();
    const feed = eventFeed(bus, { follow: true, signal: early.signal });
    early.abort(); // before the first next(): the feed has not even asked for its consumer
    expect(await readAll(feed)).toEqual([]);
    const later = new AbortController();
    const running = readAll(eventFeed(bus, { follow: true, signal: later.signal }));
    setTimeout(() => later.abort(), 200);
    expect(await running).toEqual([]);
  });
});
