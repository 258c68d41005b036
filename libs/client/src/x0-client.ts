import { connectBus, type Bus } from '@x0/bus';
import type { ComponentHealth, Sample, Statistics } from '@x0/contracts';
import { UnavailableError } from '@x0/core';
import { checkHealth, SERVICE_NAMES, type ServiceName } from '@x0/service-kit';
import { nextComponentHealth } from './component-health';
import { deadLetterFeed, type DeadLetterFeedOptions, type DeadLetterRecord } from './dead-letters';
import { eventFeed, type EventFeedOptions, type EventRecord } from './event-feed';
import { publishMetrics, type PublishMetricsOptions } from './metrics-publisher';
import { rpcErrorMessage } from './rpc-error';
import { createServiceClients, GRPC_SERVICE_NAMES, serviceAddresses, type ServiceClients } from './service-clients';

export interface X0ClientOptions {
  /** NATS URL(s) (default NATS_URL or nats://127.0.0.1:4222). */
  natsUrl?: string;
  /** gRPC address per service (default from env, see serviceAddresses). */
  addresses?: Record<ServiceName, string>;
  /** Per-call gRPC deadline (default 5 s). */
  timeoutMs?: number;
  /** Connection name shown by the NATS server. */
  name?: string;
  /**
   * How long `close()` waits for NATS to drain (default 3 s): with the server unreachable a
   * drain never ends (the connection keeps reconnecting), so the connection is then closed
   * without it and what was still unsent is dropped.
   */
  closeTimeoutMs?: number;
}

/** Health of one service as `x0 status` shows it. */
export interface ServiceHealth {
  service: ServiceName;
  address: string;
  /** SERVING, NOT_SERVING, SERVICE_UNKNOWN or 'UNREACHABLE: <why>'. */
  status: string;
}

/**
 * The user-facing client: publish metrics and follow events over NATS, query the services
 * over gRPC. Connects to NATS on first use; gRPC channels connect lazily.
 */
export class X0Client {
  readonly services: ServiceClients;
  readonly addresses: Record<ServiceName, string>;
  private bus?: Promise<Bus>;

  constructor(private readonly options: X0ClientOptions = {}) {
    this.addresses = options.addresses ?? serviceAddresses();
    this.services = createServiceClients(this.addresses, options.timeoutMs);
  }

  /** The NATS connection (opened on first call). */
  nats(): Promise<Bus> {
    this.bus ??= connectBus({ url: this.options.natsUrl ?? process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222', name: this.options.name ?? 'x0-client' });
    return this.bus;
  }

  /** Publishes one metric batch for a component (see publishMetrics). */
  async publishMetrics(component: string, metrics: Record<string, number> | Sample[], options?: PublishMetricsOptions) {
    return publishMetrics(await this.nats(), component, metrics, options);
  }

  /** The loop's events (see eventFeed). */
  async *events(options?: EventFeedOptions): AsyncGenerator<EventRecord> {
    yield* eventFeed(await this.nats(), options);
  }

  /** What the services dead-lettered, and why (see deadLetterFeed). */
  async *deadLetters(options?: DeadLetterFeedOptions): AsyncGenerator<DeadLetterRecord> {
    yield* deadLetterFeed(await this.nats(), options);
  }

  /**
   * The monitor's next live status of `component` (see nextComponentHealth); undefined when
   * none arrives within `timeoutMs`. The wait includes connecting to NATS: throws
   * UnavailableError when NATS cannot be reached or does not connect in that time.
   */
  async componentHealth(component: string, timeoutMs = 3000): Promise<ComponentHealth | undefined> {
    const deadline = Date.now() + timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new UnavailableError(`NATS did not connect within ${Math.round(timeoutMs / 1000)}s`)), timeoutMs);
    });
    let bus: Bus;
    try {
      bus = await Promise.race([this.nats(), late]);
    } finally {
      clearTimeout(timer);
    }
    return nextComponentHealth(bus, component, Math.max(0, deadline - Date.now()));
  }

  /** gRPC health of every service, checked in parallel. */
  async health(timeoutMs = 2000): Promise<ServiceHealth[]> {
    return Promise.all(
      SERVICE_NAMES.map(async (service) => ({ service, address: this.addresses[service], status: await checkHealth(this.addresses[service], GRPC_SERVICE_NAMES[service], timeoutMs) })),
    );
  }

  /** GetStatistics of every service, in parallel; unreachable ones carry the error (see rpcErrorMessage). */
  async statistics(): Promise<Array<{ service: ServiceName; stats?: Statistics; error?: string }>> {
    return Promise.all(
      SERVICE_NAMES.map(async (service) => {
        try {
          const client = this.services[service] as unknown as { getStatistics(req: object): Promise<Statistics> };
          return { service, stats: await client.getStatistics({}) };
        } catch (err) {
          return { service, error: rpcErrorMessage(err) };
        }
      }),
    );
  }

  /** Closes the gRPC channels and drains NATS, for at most `closeTimeoutMs` (then closes it without draining). */
  async close(): Promise<void> {
    this.services.close();
    const bus = this.bus && (await this.bus.catch(() => undefined));
    if (!bus) return;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<true>((resolve) => {
      timer = setTimeout(() => resolve(true), this.options.closeTimeoutMs ?? 3_000);
    });
    const timedOut = await Promise.race([bus.drain().then(() => false as const), gaveUp]);
    clearTimeout(timer);
    if (timedOut) await bus.nc.close().catch(() => undefined);
  }
}
