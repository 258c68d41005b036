import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError, UnavailableError, errorMessage } from '@x0/core';
import { FILE_DESCRIPTOR_SET_BASE64 } from '@x0/contracts';
import type { Logger } from './logger';

/** Maps an error to the gRPC status it means, once, at the edge. */
export function toGrpcStatus(err: unknown): { code: grpc.status; details: string } {
  if (err instanceof InvalidArgumentError) return { code: grpc.status.INVALID_ARGUMENT, details: err.message };
  if (err instanceof NotFoundError) return { code: grpc.status.NOT_FOUND, details: err.message };
  if (err instanceof FailedPreconditionError) return { code: grpc.status.FAILED_PRECONDITION, details: err.message };
  if (err instanceof UnavailableError) return { code: grpc.status.UNAVAILABLE, details: err.message };
  return { code: grpc.status.INTERNAL, details: `internal error: ${errorMessage(err)}` };
}

type UnaryOf<F> = F extends grpc.handleUnaryCall<infer Req, infer Res> ? (request: Req, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res> | Res : never;

/** Async implementations of a generated service's unary methods. */
export type UnaryHandlers<S> = { [K in keyof S]: UnaryOf<S[K]> };

/**
 * Adapts async handlers to grpc-js callbacks: resolves to the response, maps thrown errors
 * to status codes (INVALID_ARGUMENT, NOT_FOUND, ...; anything else INTERNAL and logged).
 */
export function unaryService<S extends grpc.UntypedServiceImplementation>(handlers: UnaryHandlers<S>, logger?: Logger, onError?: (err: unknown) => void): S {
  const out: Record<string, grpc.handleUnaryCall<unknown, unknown>> = {};
  for (const [name, fn] of Object.entries(handlers as Record<string, (req: unknown, call: unknown) => unknown>)) {
    out[name] = (call, callback) => {
      Promise.resolve()
        .then(() => fn(call.request, call))
        .then(
          (res) => callback(null, res),
          (err: unknown) => {
            const status = toGrpcStatus(err);
            if (status.code === grpc.status.INTERNAL) {
              logger?.error({ err, method: name }, 'rpc failed');
              onError?.(err);
            }
            return callback({ code: status.code, details: status.details });
          },
        );
    };
  }
  return out as S;
}

export interface GrpcServerOptions {
  host: string;
  port: number;
  logger: Logger;
}

/**
 * A grpc-js server with grpc.health.v1 (overall status '' plus each added service) and
 * server reflection over every x0 proto. Starts NOT_SERVING until `setServing(true)`.
 */
export class GrpcServer {
  readonly server = new grpc.Server();
  readonly health = new HealthImplementation({ '': 'NOT_SERVING' });
  private readonly services: string[] = [];
  private boundPort = 0;
  private stopping?: Promise<void>;

  constructor(private readonly options: GrpcServerOptions) {
    this.health.addToServer(this.server);
  }

  /** Adds a generated service definition (e.g. MonitorServiceService) with its implementation. */
  addService<S extends grpc.UntypedServiceImplementation>(fullName: string, definition: grpc.ServiceDefinition<S>, impl: S): void {
    this.server.addService(definition, impl);
    this.services.push(fullName);
    this.health.setStatus(fullName, 'NOT_SERVING');
  }

  /** Port actually bound (useful with port 0). */
  get port(): number {
    return this.boundPort;
  }

  /** Binds and starts serving; throws UnavailableError when the port is taken. */
  async start(): Promise<number> {
    // Reflection describes exactly what this server serves: its services and health.
    const x0 = protoLoader.loadFileDescriptorSetFromBuffer(Buffer.from(FILE_DESCRIPTOR_SET_BASE64, 'base64'), { keepCase: true });
    const health = protoLoader.loadSync(healthProtoPath, { keepCase: true });
    new ReflectionService({ ...x0, ...health }, { services: [...this.services, 'grpc.health.v1.Health'] }).addToServer(this.server);
    const address = `${this.options.host}:${this.options.port}`;
    this.boundPort = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, port) => {
        if (err) reject(new UnavailableError(`cannot bind gRPC on ${address}: ${err.message}`, { cause: err }));
        else resolve(port);
      });
    });
    return this.boundPort;
  }

  /** Health status of the server and every service. */
  setServing(serving: boolean): void {
    const status = serving ? 'SERVING' : 'NOT_SERVING';
    this.health.setStatus('', status);
    for (const s of this.services) this.health.setStatus(s, status);
  }

  /** Graceful shutdown: finishes in-flight calls, forces after `deadlineMs`. Safe to call twice. */
  stop(deadlineMs: number): Promise<void> {
    this.stopping ??= new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.options.logger.warn({ deadlineMs }, 'gRPC calls still running at the deadline; forcing shutdown');
        this.server.forceShutdown();
        resolve();
      }, deadlineMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    return this.stopping;
  }
}
