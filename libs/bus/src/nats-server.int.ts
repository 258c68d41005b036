import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { startNatsServer } from './nats-server';
import fs from 'node:fs';

describe('nats-server launcher', () => {
  it('start - serves JetStream on a free port and removes its temporary store on stop', async () => {
    const server = await startNatsServer();
    const nc = await connect({ servers: server.url });
    const jsm = await jetstreamManager(nc);
    const info = await jsm.getAccountInfo();
    expect(info.streams).toBe(0);
    await nc.close();
    await server.stop();
    await server.stop();
    expect(fs.existsSync(server.storeDir)).toBe(false);
  });

  it('start - a kept store survives a restart on the same port', async () => {
    const storeDir = fs.mkdtempSync('/tmp/x0-keep-');
    const first = await startNatsServer({ storeDir });
    let nc = await connect({ servers: first.url });
    await (await jetstreamManager(nc)).streams.add({ name: 'KEEP', subjects: ['keep.>'] });
    await nc.close();
    await first.stop();
    const second = await startNatsServer({ storeDir, port: first.port });
    nc = await connect({ servers: second.url });
    expect((await (await jetstreamManager(nc)).streams.info('KEEP')).config.name).toBe('KEEP');
    await nc.close();
    await second.stop();
    fs.rmSync(storeDir, { recursive: true, force: true });
  });
});
