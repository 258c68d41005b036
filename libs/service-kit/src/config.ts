import os from 'node:os';
import { z } from 'zod';

/** Thrown at start when environment variables are missing or malformed; names every bad variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: ReadonlyArray<{ variable: string; message: string }>;
  constructor(problems: Array<{ variable: string; message: string }>) {
    super(`invalid configuration: ${problems.map((p) => `${p.variable} ${p.message}`).join('; ')}`);
    this.problems = problems;
  }
}

/** Integer env var within [min, max]. */
export function envInt(def: number, min = 0, max = Number.MAX_SAFE_INTEGER) {
  return z
    .string()
    .trim()
    .regex(/^-?\d+$/, { message: 'must be an integer' })
    .transform(Number)
    .pipe(z.number().int().min(min, { message: `must be ≥ ${min}` }).max(max, { message: `must be ≤ ${max}` }))
    .default(def);
}

/** Finite number env var within [min, max]. */
export function envNumber(def: number, min = -Number.MAX_VALUE, max = Number.MAX_VALUE) {
  return z
    .string()
    .trim()
    .refine((s) => s !== '' && Number.isFinite(Number(s)), { message: 'must be a finite number' })
    .transform(Number)
    .pipe(z.number().min(min, { message: `must be ≥ ${min}` }).max(max, { message: `must be ≤ ${max}` }))
    .default(def);
}

/** Boolean env var: true/false/1/0/yes/no. */
export function envBool(def: boolean) {
  return z
    .string()
    .trim()
    .toLowerCase()
    .refine((s) => ['true', 'false', '1', '0', 'yes', 'no'].includes(s), { message: 'must be true or false' })
    .transform((s) => ['true', '1', 'yes'].includes(s))
    .default(def);
}

/** Variables whose empty value is passed to their schema instead of counting as unset. */
const EMPTY_IS_A_VALUE = new WeakSet<object>();

/**
 * Marks a variable whose empty value means something of its own (`FOO=` = "none") for
 * `loadConfig`: its schema gets `''`, while unset still takes the schema's default. Any other
 * variable set to `''` counts as unset.
 */
export function envEmptyIsValue<T extends z.ZodType>(schema: T): T {
  EMPTY_IS_A_VALUE.add(schema);
  return schema;
}

/** Comma-separated NATS URLs (nats://, tls://, ws://). */
export const envNatsUrl = z
  .string()
  .trim()
  .refine((s) => s.split(',').every((u) => /^(nats|tls|ws|wss):\/\/[^\s/]+(:\d+)?\/?$/.test(u.trim())), {
    message: 'must be one or more comma-separated nats://host:port URLs',
  })
  .default('nats://127.0.0.1:4222');

/** Default ports: gRPC 50051.., Prometheus metrics 9101.. in service order. */
export const SERVICE_PORTS = {
  monitor: { grpc: 50051, metrics: 9101 },
  analyze: { grpc: 50052, metrics: 9102 },
  plan: { grpc: 50053, metrics: 9103 },
  execute: { grpc: 50054, metrics: 9104 },
  knowledge: { grpc: 50055, metrics: 9105 },
  trainer: { grpc: 50056, metrics: 9106 },
} as const;

export type ServiceName = keyof typeof SERVICE_PORTS;
export const SERVICE_NAMES = Object.keys(SERVICE_PORTS) as ServiceName[];

/** Largest X0_PORT_OFFSET: the default ports plus the offset stay below 65536. */
export const MAX_PORT_OFFSET = 10_000;
const portOffsetSchema = envInt(0, 0, MAX_PORT_OFFSET);

/**
 * `X0_PORT_OFFSET`: added to every default port (gRPC 50051.., metrics 9101..), so a second
 * stack runs beside the first on one machine (`X0_PORT_OFFSET=100 npm start`, then
 * `X0_PORT_OFFSET=100 npx x0 status`). Explicit ports (GRPC_PORT, X0_<SERVICE>_GRPC) are not
 * shifted. Throws ConfigError on a bad value.
 */
export function portOffset(env: NodeJS.ProcessEnv = process.env): number {
  return loadConfig({ X0_PORT_OFFSET: portOffsetSchema }, env).X0_PORT_OFFSET;
}

/** A service's default ports shifted by `offset` (see portOffset). */
export function servicePorts(service: ServiceName, offset = 0): { grpc: number; metrics: number } {
  return { grpc: SERVICE_PORTS[service].grpc + offset, metrics: SERVICE_PORTS[service].metrics + offset };
}

/** Environment variables every service reads, with their defaults. */
export function baseConfigShape(service: ServiceName) {
  return {
    NATS_URL: envNatsUrl,
    GRPC_HOST: z.string().trim().min(1).default('0.0.0.0'),
    GRPC_PORT: envInt(SERVICE_PORTS[service].grpc, 0, 65535),
    METRICS_PORT: envInt(SERVICE_PORTS[service].metrics, 0, 65535),
    /** Shifts the default GRPC_PORT and METRICS_PORT (not explicit ones): see portOffset. */
    X0_PORT_OFFSET: portOffsetSchema,
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    X0_DATA_DIR: z.string().trim().min(1).default('.data'),
    X0_INSTANCE: z.string().trim().min(1).default(`${os.hostname()}-${process.pid}`),
    SHUTDOWN_TIMEOUT_MS: envInt(10_000, 100, 600_000),
    /** Seconds JetStream waits for an ack before redelivering an input (after a crash, say). */
    X0_ACK_WAIT_S: envInt(30, 1, 3600),
    /** Deliveries after which a failing input is dead-lettered. */
    X0_MAX_DELIVER: envInt(5, 1, 100),
    /** Replicas sharing the work by component, and this replica's index. */
    X0_PARTITIONS: envInt(1, 1, 1024),
    X0_PARTITION_INDEX: envInt(0, 0, 1023),
  };
}

export type BaseConfigShape = ReturnType<typeof baseConfigShape>;
export type BaseConfig = z.output<z.ZodObject<BaseConfigShape>>;

/**
 * Reads and validates configuration from environment variables. Empty strings count as
 * unset (so `FOO=` takes the default), except for variables marked with `envEmptyIsValue`.
 * Throws ConfigError naming every bad variable.
 */
export function loadConfig<S extends z.ZodRawShape>(shape: S, env: NodeJS.ProcessEnv = process.env): z.output<z.ZodObject<S>> {
  const input: Record<string, string> = {};
  for (const [key, schema] of Object.entries(shape)) {
    const v = env[key];
    if (v !== undefined && (v !== '' || EMPTY_IS_A_VALUE.has(schema))) input[key] = v;
  }
  const parsed = z.object(shape).safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const variable = String(i.path[0] ?? '');
        const got = input[variable];
        return { variable, message: `${i.message.replace(/^Invalid input: /, '')}${got !== undefined ? ` (got ${JSON.stringify(got)})` : ''}` };
      }),
    );
  }
  const cfg = parsed.data as z.output<z.ZodObject<S>> & Partial<BaseConfig>;
  if (cfg.X0_PORT_OFFSET) {
    // the defaults of the schema, shifted; a port given explicitly stays as given
    const shifted = cfg as Partial<BaseConfig>;
    if (input['GRPC_PORT'] === undefined && shifted.GRPC_PORT) shifted.GRPC_PORT += cfg.X0_PORT_OFFSET;
    if (input['METRICS_PORT'] === undefined && shifted.METRICS_PORT) shifted.METRICS_PORT += cfg.X0_PORT_OFFSET;
  }
  if (cfg.X0_PARTITIONS !== undefined && cfg.X0_PARTITION_INDEX !== undefined && cfg.X0_PARTITION_INDEX >= cfg.X0_PARTITIONS) {
    throw new ConfigError([{ variable: 'X0_PARTITION_INDEX', message: `must be < X0_PARTITIONS (${cfg.X0_PARTITIONS}) (got "${cfg.X0_PARTITION_INDEX}")` }]);
  }
  return cfg;
}
