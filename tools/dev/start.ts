/**
 * `npm start`: the whole loop on this machine. Uses the NATS server at NATS_URL (default
 * nats://127.0.0.1:4222) or starts one, builds and starts the six services, runs the demo
 * components, and prints the loop's events as they happen. Ctrl-C stops everything cleanly.
 *
 *   npm start                 services + demo + live events
 *   npm start -- --no-demo    services only
 *   npm start -- --quiet      do not print events (watch them with: npx x0 events --follow)
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { errorMessage } from '@x0/core';
import { connectBus } from '@x0/bus';
import { createServiceClients, eventFeed, formatEvent } from '@x0/client';
import { DemoSimulator, describeDemoEvent } from '@x0/demo';
import { portOffset, SERVICE_NAMES, servicePorts } from '@x0/service-kit';
import { ensureNats } from './local-nats';
import { describeExit, ROOT, Stack, tail } from './stack';

const { values: args } = parseArgs({
  options: {
    'no-demo': { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
    'fault-every': { type: 'string', default: '30' },
  },
});

const log = (line: string) => process.stdout.write(`\u001b[90m[x0]\u001b[0m ${line}\n`);

async function main(): Promise<void> {
  const dataDir = path.resolve(process.env['X0_DATA_DIR'] || path.join(ROOT, '.data'));
  const offset = portOffset();
  const { url, server } = await ensureNats(dataDir, log);

  log('building the services ...');
  execFileSync(process.execPath, [path.join(ROOT, 'tools/build/build.mjs')], { stdio: 'inherit' });

  const stack = new Stack({
    natsUrl: url,
    dataDir,
    defaultPorts: true,
    portOffset: offset,
    // The demo compresses time (a fault every ~30 s on three components): production cooldowns
    // (5–30 min) would block repeated faults, so npm start caps them and re-announces sooner.
    env: {
      LOG_LEVEL: process.env['LOG_LEVEL'] || 'info',
      PLAN_MAX_COOLDOWN_S: process.env['PLAN_MAX_COOLDOWN_S'] || '60',
      MONITOR_REALERT_S: process.env['MONITOR_REALERT_S'] || '45',
    },
  });
  let demo: DemoSimulator | undefined;
  const refs: { bus?: Awaited<ReturnType<typeof connectBus>> } = {};
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log('stopping ...');
    demo?.stop();
    await stack.stop();
    log(`services: ${SERVICE_NAMES.map((s) => describeExit(s, stack.procs.get(s))).join(', ')}`);
    await refs.bus?.drain().catch(() => undefined);
    await server?.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  log('starting monitor, analyze, plan, execute, knowledge, trainer ...');
  try {
    await stack.start(90_000);
  } catch (err) {
    log(`start failed: ${errorMessage(err)}`);
    await shutdown(1);
    return;
  }
  for (const p of stack.procs.values()) {
    p.exited.then((code) => {
      if (!stopping) {
        log(`${p.name} exited unexpectedly (${code}); last log lines:\n${tail(p.logFile, 10, p.logOffset) || '(no log output)'}`);
        void shutdown(1);
      }
    });
  }
  const first = servicePorts(SERVICE_NAMES[0], offset);
  const last = servicePorts(SERVICE_NAMES[SERVICE_NAMES.length - 1], offset);
  log(`all six services serving (gRPC ${first.grpc}-${last.grpc}, /metrics ${first.metrics}-${last.metrics}; logs in ${path.relative(process.cwd(), path.join(dataDir, 'logs'))})`);

  const bus = await connectBus({ url, name: 'x0-dev' });
  refs.bus = bus;
  if (!args['no-demo']) {
    // 90 s of healthy history first, so the baselines are learnt before the first fault; after
    // a restart only what the monitor has not seen (older samples would be dead-lettered).
    const clients = createServiceClients();
    const backfillAfter = async (component: string) => (await clients.monitor.getComponentStatus({ component }).catch(() => undefined))?.lastSampleMs ?? 0;
    demo = new DemoSimulator({ bus, backfillS: 90, backfillAfter, faultEveryS: Number(args['fault-every']), firstFaultAfterS: 15, firstFault: 'cpu_saturation', onEvent: (e) => log(`demo: ${describeDemoEvent(e)}`) });
    await demo.start().finally(() => clients.close());
    log(`demo: demo-web, demo-db, demo-queue publish metrics at 5 Hz (after 90 s of history); the first fault (cpu_saturation, which the loop fixes on its own) comes in ~15 s, then one every ~${args['fault-every']} s`);
  }
  const env = [url !== 'nats://127.0.0.1:4222' ? `NATS_URL=${url}` : '', offset ? `X0_PORT_OFFSET=${offset}` : ''].filter(Boolean).join(' ');
  log(`in another terminal: npx x0 events --follow   |   npx x0 status   |   npx x0 stats${env ? `   (with ${env})` : ''}`);
  if (!args.quiet) {
    for await (const e of eventFeed(bus, { follow: true })) process.stdout.write(`${formatEvent(e, process.stdout.isTTY === true)}\n`);
  } else {
    await new Promise(() => undefined);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`npm start: ${errorMessage(err)}\n`);
  process.exit(1);
});
