/**
 * Runs the six x0 services as child processes from their bundles (dist/apps/<name>/main.js):
 * used by `npm start`, the end-to-end tests and the loop benchmark.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { checkHealth, SERVICE_NAMES, servicePorts, type ServiceName } from '@x0/service-kit';
import { GRPC_SERVICE_NAMES } from '@x0/client';

export const ROOT = path.resolve(__dirname, '../..');

export interface StackOptions {
  natsUrl: string;
  /** Folder for each service's data (`<dataDir>/<service>`) and logs (`<dataDir>/logs`). */
  dataDir: string;
  /** Extra env for every service (and per service). */
  env?: Record<string, string>;
  envFor?: Partial<Record<ServiceName, Record<string, string>>>;
  /** Extra node flags per service, e.g. `['--cpu-prof', '--cpu-prof-dir=/tmp/prof']`. */
  nodeArgs?: Partial<Record<ServiceName, string[]>>;
  /** Use the default ports (5005x / 910x) instead of free ones. */
  defaultPorts?: boolean;
  /** Added to the default ports (X0_PORT_OFFSET). */
  portOffset?: number;
  services?: readonly ServiceName[];
}

export interface ServiceProcess {
  name: ServiceName;
  grpcPort: number;
  metricsPort: number;
  logFile: string;
  /** Size of the log file when this run was spawned: the file is appended to across runs. */
  logOffset: number;
  child: ChildProcess;
  exited: Promise<number | null>;
}

/** A free TCP port on 127.0.0.1 (the OS picks; released just before use). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** The six services as processes, with their addresses. */
export class Stack {
  readonly procs = new Map<ServiceName, ServiceProcess>();
  /** How often a service was started again on new ports (its ports freePort picked were taken). */
  private readonly portRetries = new Map<ServiceName, number>();

  constructor(private readonly o: StackOptions) {}

  /** gRPC addresses to hand to X0Client / serviceAddresses. */
  addresses(): Record<ServiceName, string> {
    const out = {} as Record<ServiceName, string>;
    for (const s of SERVICE_NAMES) out[s] = `127.0.0.1:${this.procs.get(s)?.grpcPort ?? servicePorts(s, this.o.portOffset).grpc}`;
    return out;
  }

  /** Starts every service and waits until all report SERVING (throws with the log tail of one that died). */
  async start(timeoutMs = 60_000): Promise<void> {
    for (const s of this.o.services ?? SERVICE_NAMES) await this.spawn(s);
    await this.waitServing(timeoutMs);
  }

  /** Starts one service (again, after a kill) on the same ports. */
  async spawn(name: ServiceName): Promise<ServiceProcess> {
    const prev = this.procs.get(name);
    const grpcPort = prev?.grpcPort ?? (this.o.defaultPorts ? servicePorts(name, this.o.portOffset).grpc : await freePort());
    const metricsPort = prev?.metricsPort ?? (this.o.defaultPorts ? servicePorts(name, this.o.portOffset).metrics : await freePort());
    const logDir = path.join(this.o.dataDir, 'logs');
    fs.mkdirSync(logDir, { recursive: true });
    const logFile = path.join(logDir, `${name}.log`);
    const out = fs.openSync(logFile, 'a');
    const logOffset = fs.fstatSync(out).size;
    const bundle = path.join(ROOT, 'dist/apps', name, 'main.js');
    if (!fs.existsSync(bundle)) throw new Error(`${bundle} is missing: run npm run build`);
    const child = spawn(process.execPath, [...(this.o.nodeArgs?.[name] ?? []), bundle], {
      cwd: ROOT,
      stdio: ['ignore', out, out],
      env: {
        ...process.env,
        NATS_URL: this.o.natsUrl,
        GRPC_HOST: '127.0.0.1',
        GRPC_PORT: String(grpcPort),
        METRICS_PORT: String(metricsPort),
        X0_DATA_DIR: path.join(this.o.dataDir, name),
        X0_INSTANCE: name,
        ...this.o.env,
        ...this.o.envFor?.[name],
      },
    });
    fs.closeSync(out);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const proc = { name, grpcPort, metricsPort, logFile, logOffset, child, exited };
    this.procs.set(name, proc);
    return proc;
  }

  /** Waits until every running service answers SERVING on gRPC health. */
  async waitServing(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const pending = new Set(this.procs.keys());
    while (pending.size > 0) {
      for (const name of [...pending]) {
        const p = this.procs.get(name)!;
        if (p.child.exitCode !== null || p.child.signalCode !== null) {
          // A port freePort picked was taken before the service bound it (another process got the
          // same ephemeral port meanwhile): started again on two new ones, at most twice.
          const retries = this.portRetries.get(name) ?? 0;
          const log = tail(p.logFile, 15, p.logOffset);
          if (!this.o.defaultPorts && retries < 2 && log.includes('EADDRINUSE')) {
            this.portRetries.set(name, retries + 1);
            this.procs.delete(name);
            await this.spawn(name);
            continue;
          }
          throw new Error(`${name} exited (${p.child.exitCode ?? p.child.signalCode}) while starting:\n${log || '(no log output)'}`);
        }
        if ((await checkHealth(`127.0.0.1:${p.grpcPort}`, GRPC_SERVICE_NAMES[name], 1000)) === 'SERVING') pending.delete(name);
      }
      if (pending.size === 0) break;
      if (Date.now() > deadline) throw new Error(`not serving after ${timeoutMs} ms: ${[...pending].join(', ')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Sends a signal to one service and waits for it to exit; returns its exit code. */
  async kill(name: ServiceName, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const p = this.procs.get(name);
    if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return p?.child.exitCode ?? null;
    p.child.kill(signal);
    return p.exited;
  }

  /** SIGTERM to every service (SIGKILL after `graceMs`); resolves when all have exited. */
  async stop(graceMs = 15_000): Promise<Record<string, number | null>> {
    const codes: Record<string, number | null> = {};
    await Promise.all(
      [...this.procs.values()].map(async (p) => {
        if (p.child.exitCode !== null || p.child.signalCode !== null) {
          codes[p.name] = p.child.exitCode;
          return;
        }
        const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
        p.child.kill('SIGTERM');
        codes[p.name] = await p.exited;
        clearTimeout(timer);
      }),
    );
    return codes;
  }
}

/** Last `n` lines of a file from byte `offset` on (a run's part of an appended log); '' when missing or empty. */
export function tail(file: string, n: number, offset = 0): string {
  if (!fs.existsSync(file)) return '';
  const text = fs.readFileSync(file).subarray(offset).toString('utf8').trimEnd();
  return text ? text.split('\n').slice(-n).join('\n') : '';
}

/**
 * How a service of the stack ended, in words for a log line: `monitor stopped`, `plan exited
 * (78)`, `analyze stopped by SIGTERM` (killed before its signal handler was installed, e.g.
 * while starting), `trainer not started`, `knowledge still running`.
 */
export function describeExit(name: string, p: Pick<ServiceProcess, 'child'> | undefined): string {
  if (!p) return `${name} not started`;
  const { exitCode, signalCode } = p.child;
  if (signalCode) return `${name} stopped by ${signalCode}`;
  if (exitCode === null) return `${name} still running`;
  return exitCode === 0 ? `${name} stopped` : `${name} exited (${exitCode})`;
}
