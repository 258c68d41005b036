import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import path from 'node:path';

type HealthClient = grpc.Client & {
  check(req: { service: string }, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: { status: string }) => void): void;
};

let healthCtor: (new (address: string, creds: grpc.ChannelCredentials) => HealthClient) | undefined;
let reflectionCtor: (new (address: string, creds: grpc.ChannelCredentials) => grpc.Client) | undefined;

function loadHealth() {
  if (!healthCtor) {
    const protoPath = path.join(path.dirname(require.resolve('grpc-health-check/package.json')), 'proto/health/v1/health.proto');
    const def = grpc.loadPackageDefinition(protoLoader.loadSync(protoPath, { keepCase: true, enums: String })) as unknown as {
      grpc: { health: { v1: { Health: typeof healthCtor } } };
    };
    healthCtor = def.grpc.health.v1.Health;
  }
  return healthCtor!;
}

/**
 * Asks a server's grpc.health.v1 Health.Check for `service` ('' = the whole server).
 * Resolves to 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN' or 'UNREACHABLE: <reason>'.
 */
export function checkHealth(address: string, service = '', timeoutMs = 2000): Promise<string> {
  const Health = loadHealth();
  const client = new Health(address, grpc.credentials.createInsecure());
  return new Promise<string>((resolve) => {
    client.check({ service }, { deadline: Date.now() + timeoutMs }, (err, res) => {
      client.close();
      if (err) resolve(err.code === grpc.status.NOT_FOUND ? 'SERVICE_UNKNOWN' : `UNREACHABLE: ${unreachableReason(err)}`);
      else resolve(res?.status ?? 'UNKNOWN');
    });
  });
}

/** Names of the services a server exposes, through gRPC server reflection (v1). */
export function listServicesByReflection(address: string, timeoutMs = 2000): Promise<string[]> {
  if (!reflectionCtor) {
    const protoPath = path.join(path.dirname(require.resolve('@grpc/reflection/package.json')), 'build/proto/grpc/reflection/v1/reflection.proto');
    const def = grpc.loadPackageDefinition(protoLoader.loadSync(protoPath, { keepCase: true })) as unknown as {
      grpc: { reflection: { v1: { ServerReflection: typeof reflectionCtor } } };
    };
    reflectionCtor = def.grpc.reflection.v1.ServerReflection;
  }
  const client = new reflectionCtor!(address, grpc.credentials.createInsecure()) as grpc.Client & {
    ServerReflectionInfo(opts: grpc.CallOptions): grpc.ClientDuplexStream<object, { list_services_response?: { service: Array<{ name: string }> }; error_response?: { error_message: string } }>;
  };
  return new Promise<string[]>((resolve, reject) => {
    const call = client.ServerReflectionInfo({ deadline: Date.now() + timeoutMs });
    call.on('data', (res) => {
      call.end();
      client.close();
      if (res.error_response) reject(new Error(res.error_response.error_message));
      else resolve((res.list_services_response?.service ?? []).map((s: { name: string }) => s.name).sort());
    });
    call.on('error', (err) => {
      client.close();
      reject(err);
    });
    call.write({ list_services: '' });
  });
}

function unreachableReason(err: grpc.ServiceError): string {
  const text = err.details || err.message;
  if (/ECONNREFUSED/.test(text)) return 'connection refused';
  if (err.code === grpc.status.DEADLINE_EXCEEDED) return 'no answer before the deadline';
  return text.split('. Resolution note')[0];
}
