import type * as grpc from '@grpc/grpc-js';
import type { z } from 'zod';
import { errorMessage } from '@x0/core';
import { connectBus, provisionStreams, type Bus } from '@x0/bus';
import { baseConfigShape, ConfigError, loadConfig, type BaseConfig, type ServiceName } from './config';
import { GrpcServer, unaryService, type UnaryHandlers } from './grpc-server';
import { createLogger, type Logger } from './logger';
import { MetricsServer, type Readiness } from './metrics-server';
import { ServiceStats } from './service-stats';

/** What a service's factory gets: validated config and the shared infrastructure. */
export interface ServiceContext<C> {
  readonly name: ServiceName;
  readonly config: C & BaseConfig;
  readonly logger: Logger;
  readonly bus: Bus;
  readonly stats: ServiceStats;
  /**
   * Options every consumer of the service should take (spread into ConsumerLoop /
   * createEventConsumer): ack wait, max deliveries, partition, logger and statistics.
   */
  readonly consumerOptions: ConsumerDefaults;
  /** Registers the service's gRPC API (async handlers; errors mapped to status codes). */
  serve<S extends grpc.UntypedServiceImplementation>(fullName: string, definition: grpc.ServiceDefinition<S>, handlers: UnaryHandlers<S>): void;
}

/** What `ServiceContext.consumerOptions` holds. */
export interface ConsumerDefaults {
  ackWaitMs: number;
  maxDeliver: number;
  partition?: { index: number; count: number };
  logger: Logger;
  observer: ServiceStats;
}

/** A service's long-lived part: consumers, timers, models. */
export interface ServiceRuntime {
  /** Starts consuming. Called after gRPC and metrics are listening. */
  start(): Promise<void>;
  /** Stops taking input and finishes in-flight work; must be safe to call twice. */
  stop(): Promise<void>;
}

/** A service module: its name, extra env vars and the factory that builds it. */
export interface ServiceModule<S extends z.ZodRawShape> {
  name: ServiceName;
  configShape: S;
  create(ctx: ServiceContext<z.output<z.ZodObject<S>>>): Promise<ServiceRuntime> | ServiceRuntime;
}

/** A started service. */
export interface ServiceHandle {
  readonly grpcPort: number;
  readonly metricsPort: number;
  readonly logger: Logger;
  /** The shutdown sequence (see runService); resolves when done. Safe to call twice. */
  stop(reason?: string): Promise<void>;
  /** Resolves when the service has stopped, for whatever reason. */
  readonly stopped: Promise<void>;
}

export interface RunServiceOptions {
  env?: NodeJS.ProcessEnv;
  /** Install SIGTERM/SIGINT handlers that stop the service and exit the process (default true). */
  handleSignals?: boolean;
}

/**
 * Starts a service: validates config (ConfigError names every bad variable), connects to
 * NATS and provisions the streams, serves gRPC (health + reflection) and /metrics, then
 * starts the runtime and reports SERVING. While the NATS connection is down it reports
 * NOT_SERVING (and /readyz 503 with the reason), SERVING again once reconnected.
 *
 * Shutdown, on SIGTERM/SIGINT or stop(), under one deadline (SHUTDOWN_TIMEOUT_MS):
 * health NOT_SERVING → gRPC finishes in-flight calls while the runtime finishes in-flight
 * messages → NATS drain → metrics server closed. Past the deadline the process exits with 1.
 */
export async function runService<S extends z.ZodRawShape>(module: ServiceModule<S>, options: RunServiceOptions = {}): Promise<ServiceHandle> {
  const shape = { ...baseConfigShape(module.name), ...module.configShape };
  const config = loadConfig(shape, options.env ?? process.env) as z.output<z.ZodObject<S>> & BaseConfig;
  const logger = createLogger(module.name, config.LOG_LEVEL, config.X0_INSTANCE);
  const stats = new ServiceStats(module.name, config.X0_INSTANCE);
  const bus = await connectBus({ url: config.NATS_URL, name: `x0-${module.name}-${config.X0_INSTANCE}`, logger });
  let grpcServer: GrpcServer | undefined;
  let metrics: MetricsServer | undefined;
  let runtime: ServiceRuntime | undefined;
  let serving = false;
  try {
    await provisionStreams(bus.jsm);
    const server = new GrpcServer({ host: config.GRPC_HOST, port: config.GRPC_PORT, logger });
    grpcServer = server;
    const ctx: ServiceContext<z.output<z.ZodObject<S>>> = {
      name: module.name,
      config,
      logger,
      bus,
      stats,
      consumerOptions: {
        ackWaitMs: config.X0_ACK_WAIT_S * 1000,
        maxDeliver: config.X0_MAX_DELIVER,
        partition: config.X0_PARTITIONS > 1 ? { index: config.X0_PARTITION_INDEX, count: config.X0_PARTITIONS } : undefined,
        logger,
        observer: stats,
      },
      serve: (fullName, definition, handlers) => server.addService(fullName, definition, unaryService(handlers, logger, (e) => stats.failed(e))),
    };
    runtime = await module.create(ctx);
    // Ready while serving and connected to NATS; a lost connection makes the service
    // not ready (/readyz 503, health NOT_SERVING) until the client has reconnected.
    const readiness = (): Readiness => {
      if (!serving) return { ready: false };
      const since = bus.disconnectedSince();
      return since === undefined ? { ready: true } : { ready: false, reason: `NATS disconnected since ${new Date(since).toISOString()}` };
    };
    metrics = new MetricsServer(stats.registry, readiness);
    const grpcPort = await server.start();
    const metricsPort = await metrics.start(config.GRPC_HOST, config.METRICS_PORT);
    await runtime.start();
    serving = true;
    server.setServing(bus.disconnectedSince() === undefined);
    const stopWatchingNats = bus.onConnectionChange((connected) => {
      if (!serving) return;
      server.setServing(connected);
      if (connected) logger.info({ ready: true }, 'ready again: NATS reconnected');
      else logger.warn({ ready: false }, 'not ready: NATS disconnected; health NOT_SERVING until it reconnects');
    });
    logger.info({ grpcPort, metricsPort, nats: config.NATS_URL }, `${module.name} serving`);

    let resolveStopped!: () => void;
    const stopped = new Promise<void>((r) => (resolveStopped = r));
    let stopping: Promise<void> | undefined;
    const rt = runtime;
    const m = metrics;
    const stop = (reason = 'stop requested'): Promise<void> => {
      stopping ??= (async () => {
        const deadline = config.SHUTDOWN_TIMEOUT_MS;
        const started = Date.now();
        logger.info({ reason, deadlineMs: deadline }, 'shutting down');
        const timer = setTimeout(() => {
          logger.error({ deadlineMs: deadline }, 'shutdown deadline passed; exiting');
          process.exit(1);
        }, deadline);
        timer.unref();
        serving = false;
        stopWatchingNats();
        server.setServing(false);
        await Promise.all([server.stop(Math.max(100, deadline / 2)), rt.stop()]);
        await bus.drain();
        await m.stop();
        clearTimeout(timer);
        logger.info({ ms: Date.now() - started }, 'stopped');
        resolveStopped();
      })();
      return stopping;
    };

    if (options.handleSignals !== false) {
      const onSignal = (signal: NodeJS.Signals) => {
        stop(signal).then(
          () => process.exit(0),
          (err) => {
            logger.error({ err: errorMessage(err) }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
    }
    return { grpcPort, metricsPort, logger, stop, stopped };
  } catch (err) {
    await runtime?.stop().catch(() => undefined);
    await grpcServer?.stop(100);
    await metrics?.stop();
    await bus.drain();
    throw err;
  }
}

/**
 * Entry point for an app's main.ts: runs the service and turns a start failure into a clear
 * message and a non-zero exit (78, EX_CONFIG, for bad configuration). The message is written
 * twice: as a pino `fatal` line on stdout, like every other log line (log pipelines parse JSON),
 * and as plain text on stderr for whoever started the process by hand.
 */
export function runMain<S extends z.ZodRawShape>(module: ServiceModule<S>): void {
  runService(module).catch((err: unknown) => {
    const config = err instanceof ConfigError;
    const message = config ? err.message : `failed to start: ${errorMessage(err)}`;
    const exitCode = config ? 78 : 1;
    // the configuration may be what failed: no LOG_LEVEL, the instance only if it was given
    const instance = process.env['X0_INSTANCE']?.trim();
    createLogger(module.name, 'fatal', instance || undefined).fatal({ exitCode, ...(config ? {} : { err }) }, message);
    process.stderr.write(`x0 ${module.name}: ${message}\n`);
    process.exit(exitCode);
  });
}
