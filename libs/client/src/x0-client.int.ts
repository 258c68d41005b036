import { startNatsServer } from '@x0/bus/testing';
import { X0Client } from './x0-client';

jest.setTimeout(30_000);

describe('X0Client.close', () => {
  it('close - ends when the NATS server is gone (a drain would wait for it for ever): x0 demo stopped with Ctrl-C after its server died', async () => {
    const nats = await startNatsServer();
    const client = new X0Client({ natsUrl: nats.url, name: 'x0-client-close-test', closeTimeoutMs: 300 });
    const bus = await client.nats();
    bus.nc.publish('x0.test.close', new Uint8Array([1]));
    await bus.nc.flush();
    await nats.stop();
    // Still reconnecting: the drain waits for a server that does not come back.
    bus.nc.publish('x0.test.close', new Uint8Array([2]));
    const closed = await Promise.race([client.close().then(() => 'closed'), new Promise((r) => setTimeout(() => r('hung'), 10_000))]);
    expect(closed).toBe('closed');
    expect(bus.nc.isClosed()).toBe(true);
  });

  it('close - with the server up it drains (publishes made before close are delivered)', async () => {
    const nats = await startNatsServer();
    try {
      const reader = new X0Client({ natsUrl: nats.url, name: 'reader' });
      const sub = (await reader.nats()).nc.subscribe('x0.test.drain');
      const writer = new X0Client({ natsUrl: nats.url, name: 'writer' });
      const w = await writer.nats();
      for (let i = 0; i < 100; i++) w.nc.publish('x0.test.drain', new Uint8Array([i]));
      await writer.close();
      let n = 0;
      for await (const _ of sub) if (++n === 100) break;
      expect(n).toBe(100);
      await reader.close();
    } finally {
      await nats.stop();
    }
  });
});
