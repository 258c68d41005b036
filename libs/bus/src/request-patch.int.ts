import path from 'node:path';
import { errors as natsErrors } from '@nats-io/transport-node';
import { connectBus, type Bus } from './connection';
import { startNatsServer, type NatsServerProcess } from './nats-server';
import { installSettledRequestFix } from './request-patch';

/**
 * nats-core's own errors module (the one its request code reads `RequestError` from at call
 * time), reached by path because the package exports map does not name it.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const errorsModule = require(path.join(path.dirname(require.resolve('@nats-io/nats-core/internal')), 'errors.js')) as { RequestError: new (message?: string, options?: ErrorOptions) => Error };

describe('settled-request fix for nats-core', () => {
  let server: NatsServerProcess;
  let bus: Bus;
  const OriginalRequestError = errorsModule.RequestError;
  let cancelledErrors = 0;

  beforeAll(async () => {
    server = await startNatsServer();
    bus = await connectBus({ url: server.url, name: 'request-patch-test' });
    // Count the "cancelled" errors the library builds.
    errorsModule.RequestError = class extends OriginalRequestError {
      constructor(message?: string, options?: ErrorOptions) {
        super(message, options);
        if (message === 'cancelled') cancelledErrors++;
      }
    };
    bus.nc.subscribe('echo', {
      callback: (_err, m) => {
        m.respond(m.data);
      },
    });
    bus.nc.subscribe('silent', { callback: () => undefined });
    await bus.jsm.streams.add({ name: 'PATCH', subjects: ['patch.>'] });
  });

  afterAll(async () => {
    errorsModule.RequestError = OriginalRequestError;
    await bus.drain();
    await server.stop();
  });

  it('install - recognises the library code it patches (re-check the patch after a nats upgrade when this fails)', () => {
    expect(installSettledRequestFix()).toBe(true);
  });

  it('request - answered requests and JetStream publishes resolve as before, without building an Error each', async () => {
    cancelledErrors = 0;
    for (let i = 0; i < 50; i++) {
      const reply = await bus.nc.request('echo', new TextEncoder().encode(`ping ${i}`), { timeout: 1000 });
      expect(reply.string()).toBe(`ping ${i}`);
    }
    const acks = await Promise.all(Array.from({ length: 20 }, (_, i) => bus.js.publish(`patch.${i}`, new Uint8Array([i]))));
    expect(acks.map((a) => a.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(cancelledErrors).toBe(0);
  });

  it('request - no responders and timeouts still reject with the library’s errors', async () => {
    await expect(bus.nc.request('nobody.home', new Uint8Array(), { timeout: 1000 })).rejects.toThrow(/no responders/i);
    const started = Date.now();
    const timedOut = await bus.nc.request('silent', new Uint8Array(), { timeout: 200 }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(timedOut).toBeInstanceOf(natsErrors.TimeoutError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    // Still answers afterwards: the reply mux was left in order.
    expect((await bus.nc.request('echo', new TextEncoder().encode('after'), { timeout: 1000 })).string()).toBe('after');
  });
});
