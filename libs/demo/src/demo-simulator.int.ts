import { connectBus, provisionStreams, type Bus } from '@x0/bus';
import { startNatsServer, waitFor, type NatsServerProcess } from '@x0/bus/testing';
import { DemoSimulator, type DemoEvent } from './demo-simulator';

describe('DemoSimulator', () => {
  let nats: NatsServerProcess;
  let bus: Bus;
  beforeAll(async () => {
    nats = await startNatsServer();
    bus = await connectBus({ url: nats.url, name: 'demo-test' });
    await provisionStreams(bus.jsm);
  });
  afterAll(async () => {
    await bus.drain();
    await nats.stop();
  });

  it('firstFault - the first fault is of the kind asked for, on a component it fits, whatever the seed', async () => {
    for (const seed of [1, 2, 3]) {
      const faults: DemoEvent[] = [];
      // queue_backlog moves queue_depth, which only the queue component has.
      const sim = new DemoSimulator({ bus, seed, rateHz: 1, firstFaultAfterS: 0.05, faultEveryS: 3600, firstFault: 'queue_backlog', onEvent: (e) => e.type === 'fault' && faults.push(e) });
      await sim.start();
      await waitFor(() => faults.length > 0 || undefined, 5000, 'the first fault');
      sim.stop();
      expect(faults[0]).toMatchObject({ type: 'fault', component: 'demo-queue', fault: 'queue_backlog' });
    }
  });
});
