import { jetstream } from '@nats-io/jetstream';
import { InvalidArgumentError } from '@x0/core';
import { Approval, DEAD_LETTER_CODEC, decodeMetricBatch, EVENT_CODECS, METRIC_BATCH_CODEC, STREAMS } from '@x0/contracts';
import { connectBus, type Bus } from './connection';
import { ConsumerLoop, type HandleResult } from './consumer-loop';
import { createEventConsumer } from './event-consumer';
import { provisionStreams } from './streams';
import { startNatsServer, type NatsServerProcess } from './nats-server';
import { publishMessage } from './publisher';

const enc = (s: string) => new TextEncoder().encode(s);

async function waitFor<T>(fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function streamMessages(bus: Bus, stream: string, subject: string): Promise<Array<{ subject: string; data: Uint8Array; id: string }>> {
  const info = await bus.jsm.streams.info(stream);
  const out = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await bus.jsm.streams.getMessage(stream, { seq }).catch(() => undefined);
    if (m && (subject.endsWith('>') ? m.subject.startsWith(subject.slice(0, -1)) : m.subject === subject)) {
      out.push({ subject: m.subject, data: m.data, id: m.header.get('Nats-Msg-Id') });
    }
  }
  return out;
}

describe('consumer loop', () => {
  let server: NatsServerProcess;
  let bus: Bus;

  beforeAll(async () => {
    server = await startNatsServer();
    bus = await connectBus({ url: server.url, name: 'test' });
    await provisionStreams(bus.jsm);
  });

  afterAll(async () => {
    await bus.drain();
    await server.stop();
  });

  it('provisionStreams - idempotent', async () => {
    expect(await provisionStreams(bus.jsm)).toEqual([]);
    const names = [];
    for await (const s of bus.jsm.streams.list()) names.push(s.config.name);
    expect(names.sort()).toEqual([STREAMS.dlq.name, STREAMS.events.name, STREAMS.metrics.name].sort());
  });

  it('publish → consume → ack, then a malformed message goes to the DLQ and the loop keeps going', async () => {
    const seen: string[] = [];
    const loop = new ConsumerLoop({
      bus,
      service: 'echo',
      stream: STREAMS.metrics.name,
      filterSubject: 'x0.metrics.>',
      decode: (data) => decodeMetricBatch(data),
      handleBatch: (items) =>
        items.map((d): HandleResult => {
          seen.push(d.value.id);
          return { type: 'ok', outputs: [{ subject: `x0.events.anomaly.${d.subject.split('.')[2]}`, data: enc(`out-${d.value.id}`), id: `out-${d.value.id}` }] };
        }),
    });
    await loop.start();
    const js = jetstream(bus.nc);
    await js.publish('x0.metrics.c1', METRIC_BATCH_CODEC.encode({ id: 'b1', component: 'c1', timeMs: 1, samples: [{ metric: 'cpu', value: 1, timeMs: 1 }], labels: {} }));
    await js.publish('x0.metrics.c1', enc('{"metrics": {"cpu": oops}}'));
    await js.publish('x0.metrics.c1', enc(JSON.stringify({ id: 'b3', metrics: { cpu: 2 } })));
    await waitFor(() => (seen.length >= 2 ? true : undefined));
    expect(seen).toEqual(['b1', 'b3']);

    const dlq = await waitFor(async () => {
      const m = await streamMessages(bus, STREAMS.dlq.name, 'x0.dlq.echo');
      return m.length > 0 ? m : undefined;
    });
    const letter = DEAD_LETTER_CODEC.decode(dlq[0].data);
    expect(letter.reason).toMatch(/^'payload' is not valid JSON/);
    expect(letter.kind).toBe('rejected');
    expect(letter.subject).toBe('x0.metrics.c1');
    expect(Buffer.from(letter.payload).toString()).toBe('{"metrics": {"cpu": oops}}');

    const outs = await streamMessages(bus, STREAMS.events.name, 'x0.events.anomaly.c1');
    expect(outs.map((o) => o.id)).toEqual(['out-b1', 'out-b3']);
await waitFor(async () => ((await bus.jsm.consumers.info(STREAMS.metrics.name, 'echo')).num_ack_pending === 0 ? true : undefined));
    await loop.stop();
    await loop.stop();
  });

  it('handler failures are retried, then dead-lettered after maxDeliver', async () => {
    let calls = 0;
    const loop = new ConsumerLoop({
      bus,
      service: 'flaky',
      stream: STREAMS.events.name,
      filterSubject: 'x0.events.diagnosis.>',
      maxDeliver: 2,
      decode: (data) => Buffer.from(data).toString(),
      handleBatch: () => {
        calls++;
        throw new Error('model unavailable');
      },
    });
    await loop.start();
    await publishMessage(bus.js, { subject: 'x0.events.diagnosis.c9', data: enc('x'), id: 'd-1' });
    const dlq = await waitFor(async () => {
      const m = await streamMessages(bus, STREAMS.dlq.name, 'x0.dlq.flaky');
      return m.length > 0 ? m : undefined;
    });
    expect(DEAD_LETTER_CODEC.decode(dlq[0].data)).toMatchObject({ reason: 'failed 2 times: model unavailable', kind: 'failed' });
    expect(calls).toBe(2);
    await loop.stop();
  });

  it('invalid results and partial rejections are dead-lettered with their reason', async () => {
    const loop = new ConsumerLoop({
      bus,
      service: 'picky',
      stream: STREAMS.events.name,
      filterSubject: 'x0.events.plan.>',
      decode: (data) => {
        const s = Buffer.from(data).toString();
        if (s === 'undecodable') throw new InvalidArgumentError('payload', 'is not a plan');
        return s;
      },
      handleBatch: (items) =>
        items.map((d): HandleResult => (d.value === 'bad' ? { type: 'invalid', reason: 'unknown component' } : { type: 'ok', rejected: ["'samples[0].value' must be finite, got NaN"] })),
    });
    await loop.start();
    for (const [i, body] of ['bad', 'partial', 'undecodable'].entries()) {
      await publishMessage(bus.js, { subject: 'x0.events.plan.c2', data: enc(body), id: `p-${i}` });
    }
    const reasons = await waitFor(async () => {
      const m = await streamMessages(bus, STREAMS.dlq.name, 'x0.dlq.picky');
      return m.length >= 3 ? m.map((x) => DEAD_LETTER_CODEC.decode(x.data)) : undefined;
    });
    // In one batch an undecodable input is dead-lettered while decoding, before the handler's verdicts.
    expect(reasons.map((r) => r.reason).sort()).toEqual(["'payload' is not a plan", "'samples[0].value' must be finite, got NaN", 'unknown component']);
    expect(reasons.map((r) => r.kind)).toEqual(['rejected', 'rejected', 'rejected']);
    await loop.stop();
  });

  it('oversized payloads are dead-lettered unread', async () => {
    let handled = 0;
    const loop = new ConsumerLoop({
      bus,
      service: 'small',
      stream: STREAMS.events.name,
      filterSubject: 'x0.events.outcome.>',
      maxPayloadBytes: 10,
      decode: (d) => d,
      handleBatch: (items) => items.map((): HandleResult => (handled++, { type: 'ok' })),
    });
    await loop.start();
    await publishMessage(bus.js, { subject: 'x0.events.outcome.c3', data: new Uint8Array(11), id: 'o-big' });
    const m = await waitFor(async () => {
      const x = await streamMessages(bus, STREAMS.dlq.name, 'x0.dlq.small');
      return x.length > 0 ? x : undefined;
    });
    expect(DEAD_LETTER_CODEC.decode(m[0].data)).toMatchObject({ reason: 'payload of 11 bytes exceeds the limit of 10 bytes', kind: 'rejected' });
    expect(handled).toBe(0);
    await loop.stop();
  });

  it('redelivery after a crash does not duplicate the output (Nats-Msg-Id)', async () => {
    // First run: the handler publishes its output, then the process "dies" before acking.
    const crashBus = await connectBus({ url: server.url, name: 'crashing' });
    const opts = {
      service: 'dedup',
      stream: STREAMS.events.name,
      filterSubject: 'x0.events.action.>',
      ackWaitMs: 1000,
      decode: (d: Uint8Array) => Buffer.from(d).toString(),
    };
    let published = false;
    const crashing = new ConsumerLoop({
      ...opts,
      bus: crashBus,
      handleBatch: async (items) => {
        for (const d of items) await publishMessage(crashBus.js, { subject: 'x0.events.outcome.c4', data: enc(d.value), id: `outcome-of-${d.value}` });
        published = true;
        await new Promise(() => undefined); // never returns: no ack
        return [];
      },
    });
    await crashing.start();
    await publishMessage(bus.js, { subject: 'x0.events.action.c4', data: enc('a1'), id: 'a1' });
    await waitFor(() => (published ? true : undefined));
    await crashBus.nc.close(); // the crash: connection gone, message unacked
    void crashing.stop(); // releases the dead loop's timers; its handler never returns

    // Restart: the message is redelivered and handled again with the same output id.
    let redelivered = 0;
    const restarted = new ConsumerLoop({
      ...opts,
      bus,
      handleBatch: (items) =>
        items.map((d): HandleResult => {
          redelivered = d.deliveries;
          return { type: 'ok', outputs: [{ subject: 'x0.events.outcome.c4', data: enc(d.value), id: `outcome-of-${d.value}` }] };
        }),
    });
    await restarted.start();
    await waitFor(() => (redelivered > 0 ? true : undefined));
    expect(redelivered).toBe(2);
    await waitFor(async () => ((await bus.jsm.consumers.info(STREAMS.events.name, 'dedup')).num_ack_pending === 0 ? true : undefined));
    const outs = await streamMessages(bus, STREAMS.events.name, 'x0.events.outcome.c4');
    expect(outs.map((o) => o.id)).toEqual(['outcome-of-a1']);
    await restarted.stop();
  });
  it('event consumer - handleAll gets whole batches of validated events; an invalid event is dead-lettered before it', async () => {
    const batches: string[][] = [];
    const consumer = createEventConsumer({
      bus,
      service: 'batcher',
      type: 'approval',
      handleAll: async (deliveries) => {
        batches.push(deliveries.map((d) => d.value.meta!.id));
        return deliveries.map(() => ({ type: 'ok' as const }));
      },
    });
    // Published before the consumer starts: the backlog arrives together.
    for (let i = 0; i < 5; i++) {
      await publishMessage(bus.js, { subject: 'x0.events.approval.bat', data: EVENT_CODECS.approval.encode(Approval.fromPartial({ meta: { id: `ap-${i}`, component: 'bat', timeMs: 1000 + i, source: 'test' }, planId: `pl-${i}` })), id: `ap-${i}` });
    }
    await publishMessage(bus.js, { subject: 'x0.events.approval.other', data: EVENT_CODECS.approval.encode(Approval.fromPartial({ meta: { id: 'ap-x', component: 'bat', timeMs: 1, source: 'test' } })), id: 'ap-x' });
    await consumer.start();
    await waitFor(() => (batches.flat().length >= 5 ? true : undefined));
    expect(batches.flat()).toEqual(['ap-0', 'ap-1', 'ap-2', 'ap-3', 'ap-4']);
    expect(batches.length).toBeLessThan(5);
    const dead = await waitFor(async () => {
      const m = await streamMessages(bus, STREAMS.dlq.name, 'x0.dlq.batcher');
      return m.length >= 1 ? m.map((x) => DEAD_LETTER_CODEC.decode(x.data).reason) : undefined;
    });
    expect(dead[0]).toContain('component');
    await consumer.stop();
    expect(() => createEventConsumer({ bus, service: 'none', type: 'approval' })).toThrow('an event consumer needs handle or handleAll');
  });
});

describe('consumer loop - dead letters near the server\'s max_payload', () => {
  const MiB = 1024 * 1024;
  let server: NatsServerProcess;
  let bus: Bus;

  beforeAll(async () => {
    // The production default: 1 MiB.
    server = await startNatsServer({ maxPayload: MiB });
    bus = await connectBus({ url: server.url, name: 'test-small-payload' });
    await provisionStreams(bus.jsm);
  });

  afterAll(async () => {
    await bus.drain();
    await server.stop();
  });

  function recordingLogger() {
    const lines: Array<{ level: string; msg: string; obj: Record<string, unknown> }> = [];
    const at = (level: string) => (obj: object, msg = '') => void lines.push({ level, msg, obj: obj as Record<string, unknown> });
    return { lines, logger: { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') } };
  }

  it('an input just under the limit is dead-lettered once, its payload truncated so the letter fits', async () => {
    expect(bus.nc.info?.max_payload).toBe(MiB);
    const { lines, logger } = recordingLogger();
    let handled = 0;
    const loop = new ConsumerLoop({
      bus,
      service: 'bigbad',
      stream: STREAMS.metrics.name,
      filterSubject: 'x0.metrics.bigbad',
      logger,
      decode: (data) => decodeMetricBatch(data),
      handleBatch: (items) => items.map((): HandleResult => (handled++, { type: 'ok' })),
    });
    await loop.start();
    // The operator's repro: a 1,048,438-byte JSON batch whose value is a string.
    const head = '{"id":"big","metrics":{"cpu":"';
    const tail = '"}}';
    const body = enc(head + 'x'.repeat(1_048_438 - head.length - tail.length) + tail);
    expect(body.length).toBe(1_048_438);
    await publishMessage(bus.js, { subject: 'x0.metrics.bigbad', data: body, id: 'bigbad-1' });

    const dlq = await waitFor(async () => {
      const m = await streamMessages(bus, STREAMS.dlq.name, 'x0.dlq.bigbad');
      return m.length > 0 ? m : undefined;
    });
    expect(dlq).toHaveLength(1);
    const letter = DEAD_LETTER_CODEC.decode(dlq[0].data);
    const m = /^(.*) \(payload truncated from 1048438 to (\d+) bytes to fit the server's max_payload of 1048576 bytes\)$/.exec(letter.reason);
    expect(m).not.toBeNull();
    expect(m![1]).not.toBe('');
    const kept = Number(m![2]);
    expect(kept).toBeGreaterThan(1_040_000);
    expect(kept).toBeLessThan(1_048_438);
    expect(letter.payload.length).toBe(kept);
    expect(Buffer.from(letter.payload).equals(Buffer.from(body.subarray(0, kept)))).toBe(true);
    expect(letter).toMatchObject({ kind: 'rejected', subject: 'x0.metrics.bigbad', deliveries: 1 });

    // Terminated on the first delivery: nothing pending, nothing redelivered.
    const info = await waitFor(async () => {
      const i = await bus.jsm.consumers.info(STREAMS.metrics.name, 'bigbad');
      return i.num_ack_pending === 0 && i.num_pending === 0 ? i : undefined;
    });
    expect(info.num_redelivered).toBe(0);
    expect(handled).toBe(0);
    expect(lines.filter((l) => l.msg === 'cannot write dead letter; input kept for redelivery')).toEqual([]);
    const logged = lines.filter((l) => l.msg === 'dead-lettered input');
    expect(logged).toHaveLength(1);
    expect(logged[0].obj['reason']).toBe(letter.reason);
    await loop.stop();
  });

  it('a handler error too long for any letter is cut (and the input headers dropped), so the input is dead-lettered, not nak\'ed for ever', async () => {
    const { lines, logger } = recordingLogger();
    const huge = 'e'.repeat(2 * MiB);
    const loop = new ConsumerLoop({
      bus,
      service: 'longerr',
      stream: STREAMS.events.name,
      filterSubject: 'x0.events.diagnosis.longerr',
      maxDeliver: 1,
      logger,
      decode: (data) => Buffer.from(data).toString(),
      handleBatch: () => {
        throw new Error(huge);
      },
    });
    await loop.start();
    await publishMessage(bus.js, { subject: 'x0.events.diagnosis.longerr', data: enc('x'), id: 'longerr-1', headers: { 'X0-Trace': 't-1' } });

    const dlq = await waitFor(async () => {
      const m = await streamMessages(bus, STREAMS.dlq.name, 'x0.dlq.longerr');
      return m.length > 0 ? m : undefined;
    });
    expect(dlq).toHaveLength(1);
    const letter = DEAD_LETTER_CODEC.decode(dlq[0].data);
    expect(letter.reason).toBe(
      `failed 1 times: ${'e'.repeat(4096 - 'failed 1 times: '.length)}… (reason cut from ${'failed 1 times: '.length + huge.length} to 4096 characters; ` +
        `input headers dropped; payload truncated from 1 to 0 bytes to fit the server's max_payload of ${MiB} bytes)`,
    );
    expect(letter.headers).toEqual({});
    expect(letter.payload.length).toBe(0);
    expect(letter).toMatchObject({ kind: 'failed', subject: 'x0.events.diagnosis.longerr', deliveries: 1 });
    const info = await waitFor(async () => {
      const i = await bus.jsm.consumers.info(STREAMS.events.name, 'longerr');
      return i.num_ack_pending === 0 && i.num_pending === 0 ? i : undefined;
    });
    expect(info.num_redelivered).toBe(0);
    expect(lines.filter((l) => l.msg === 'cannot write dead letter; input kept for redelivery')).toEqual([]);
    await loop.stop();
  });

  it('"dead-lettered input" is logged only once the letter is stored; an unwritten letter is retried', async () => {
    await bus.jsm.streams.delete(STREAMS.dlq.name);
    const { lines, logger } = recordingLogger();
    const loop = new ConsumerLoop({
      bus,
      service: 'nodlq',
      stream: STREAMS.events.name,
      filterSubject: 'x0.events.plan.>',
      logger,
      decode: () => {
        throw new InvalidArgumentError('payload', 'is not a plan');
      },
      handleBatch: (items) => items.map((): HandleResult => ({ type: 'ok' })),
    });
    await loop.start();
    await publishMessage(bus.js, { subject: 'x0.events.plan.c1', data: enc('junk'), id: 'nodlq-1' });
    await waitFor(() => (lines.some((l) => l.msg === 'cannot write dead letter; input kept for redelivery') ? true : undefined));
    expect(lines.filter((l) => l.msg === 'dead-lettered input')).toEqual([]);

    await provisionStreams(bus.jsm);
    const dlq = await waitFor(async () => {
      const m = await streamMessages(bus, STREAMS.dlq.name, 'x0.dlq.nodlq');
      return m.length > 0 ? m : undefined;
    });
    expect(DEAD_LETTER_CODEC.decode(dlq[0].data).reason).toBe("'payload' is not a plan");
    await waitFor(() => (lines.some((l) => l.msg === 'dead-lettered input') ? true : undefined));
    await loop.stop();
  });
});

describe('consumer loop - a dead letter that cannot fit a tiny max_payload', () => {
  let server: NatsServerProcess;
  let bus: Bus;

  beforeAll(async () => {
    server = await startNatsServer({ maxPayload: 4096 });
    bus = await connectBus({ url: server.url, name: 'test-tiny-payload' });
    await provisionStreams(bus.jsm);
  });

  afterAll(async () => {
    await bus.drain();
    await server.stop();
  });

  it('the input is terminated and the error logged with the reason, not nak\'ed for ever', async () => {
    expect(bus.nc.info?.max_payload).toBe(4096);
    const lines: Array<{ level: string; msg: string; obj: Record<string, unknown> }> = [];
    const at = (level: string) => (obj: object, msg = '') => void lines.push({ level, msg, obj: obj as Record<string, unknown> });
    const loop = new ConsumerLoop({
      bus,
      service: 'tiny',
      stream: STREAMS.events.name,
      filterSubject: 'x0.events.diagnosis.tiny',
      maxDeliver: 1,
      logger: { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') },
      decode: (data) => Buffer.from(data).toString(),
      handleBatch: () => {
        throw new Error('z'.repeat(10_000));
      },
    });
    await loop.start();
    await publishMessage(bus.js, { subject: 'x0.events.diagnosis.tiny', data: enc('x'), id: 'tiny-1' });

    const logged = await waitFor(() => lines.find((l) => l.msg === "dead letter cannot fit the server's max_payload; input terminated without one"));
    expect(logged.level).toBe('error');
    expect(logged.obj).toMatchObject({ subject: 'x0.events.diagnosis.tiny', kind: 'failed', maxBytes: 4096 });
    expect(String(logged.obj['reason'])).toMatch(/^failed 1 times: z{4080}… \(reason cut from 10016 to 4096 characters; input headers dropped; /);
    const info = await waitFor(async () => {
      const i = await bus.jsm.consumers.info(STREAMS.events.name, 'tiny');
      return i.num_ack_pending === 0 && i.num_pending === 0 ? i : undefined;
    });
    expect(info.num_redelivered).toBe(0);
    expect(lines.filter((l) => l.msg === 'cannot write dead letter; input kept for redelivery')).toEqual([]);
    expect(await streamMessages(bus, STREAMS.dlq.name, 'x0.dlq.tiny')).toEqual([]);
    await loop.stop();
  });
});
