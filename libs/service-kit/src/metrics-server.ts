import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { UnavailableError } from '@x0/core';

/** Whether the service is ready, and if not, why (when known). */
export type Readiness = { ready: true } | { ready: false; reason?: string };

/**
 * HTTP endpoint for Prometheus (`GET /metrics`) plus `/healthz` (process up) and `/readyz`
 * (serving), for probes that do not speak gRPC. /readyz answers 200 `ready` when `ready()`
 * says so, else 503 `not ready[: <reason>]`.
 */
export class MetricsServer {
  private server?: http.Server;
  private stopping?: Promise<void>;

  constructor(
    private readonly registry: Registry,
    private readonly ready: () => Readiness,
  ) {}

  async start(host: string, port: number): Promise<number> {
    const server = http.createServer((req, res) => {
      const url = (req.url ?? '/').split('?')[0];
      if (url === '/metrics') {
        this.registry.metrics().then(
          (body) => {
            res.writeHead(200, { 'content-type': this.registry.contentType });
            res.end(body);
          },
          (err: Error) => {
            res.writeHead(500).end(err.message);
          },
        );
      } else if (url === '/healthz') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      } else if (url === '/readyz') {
        const r = this.ready();
        const body = r.ready ? 'ready\n' : r.reason ? `not ready: ${r.reason}\n` : 'not ready\n';
        res.writeHead(r.ready ? 200 : 503, { 'content-type': 'text/plain' }).end(body);
      } else {
        res.writeHead(404).end();
      }
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new UnavailableError(`cannot serve metrics on ${host}:${port}: ${err.message}`, { cause: err })));
      server.listen(port, host, () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  stop(): Promise<void> {
    this.stopping ??= new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.stopping;
  }
}
