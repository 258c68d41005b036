import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UnavailableError } from '@x0/core';

/** Places a `nats-server` binary is looked for after PATH. */
const WELL_KNOWN = ['/usr/sbin/nats-server', '/usr/local/bin/nats-server', '/usr/bin/nats-server'];

/** Absolute path of a `nats-server` binary on PATH or in a well-known place, or undefined. */
export function findNatsServerBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = (env['PATH'] ?? '').split(path.delimiter).filter(Boolean);
  for (const candidate of [...dirs.map((d) => path.join(d, 'nats-server')), ...WELL_KNOWN]) {
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface NatsServerOptions {
  /** Client port; 0 (default) lets the server pick a free one. */
  port?: number;
  /** JetStream store directory; a new temporary one (removed on stop) when omitted. */
  storeDir?: string;
  /** Binary to run; found with `findNatsServerBinary()` when omitted. */
  binary?: string;
  /** Milliseconds to wait for the server to listen (default 10,000). */
  startTimeoutMs?: number;
  /** Where to write the server's log; discarded when omitted. */
  logFile?: string;
  /** Largest message the server accepts, in bytes (max_payload; default 8 MiB). */
  maxPayload?: number;
}

/** A nats-server child process with JetStream, listening on 127.0.0.1 only. */
export interface NatsServerProcess {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  readonly pid: number;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s); removes a temporary store. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts a `nats-server` with JetStream on 127.0.0.1 and resolves once it accepts clients.
 * Throws UnavailableError when no binary is found or the server does not come up.
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServerProcess> {
  const binary = options.binary ?? findNatsServerBinary();
  if (!binary) {
    throw new UnavailableError('nats-server not found on PATH or in /usr/sbin; install it (Debian/Ubuntu: apt-get install -y nats-server)');
  }
  const tempStore = options.storeDir === undefined;
  const storeDir = options.storeDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'x0-nats-'));
  fs.mkdirSync(storeDir, { recursive: true });
  const configFile = path.join(storeDir, 'nats-server.conf');
  // Debian's 2.9 server needs a config file to keep everything on loopback; no monitor port.
  fs.writeFileSync(
    configFile,
    [
      `listen: 127.0.0.1:${options.port && options.port > 0 ? options.port : -1}`,
      `jetstream { store_dir: ${JSON.stringify(storeDir)} }`,
      `max_payload: ${options.maxPayload ?? '8MB'}`,
      '',
    ].join('\n'),
  );
  const child = spawn(binary, ['-c', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  const log = options.logFile ? fs.createWriteStream(options.logFile, { flags: 'a' }) : undefined;
  const port = await waitForListening(child, options.startTimeoutMs ?? 10_000, log).catch((err) => {
    child.kill('SIGKILL');
    if (tempStore) fs.rmSync(storeDir, { recursive: true, force: true });
    throw err;
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= new Promise<void>((resolve) => {
      const done = () => {
        log?.end();
        if (tempStore) fs.rmSync(storeDir, { recursive: true, force: true });
        resolve();
      };
      if (child.exitCode !== null || child.signalCode !== null) return done();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => {
        clearTimeout(timer);
        done();
      });
      child.kill('SIGTERM');
    });
    return stopping;
  };
  return { url: `nats://127.0.0.1:${port}`, port, storeDir, pid: child.pid ?? -1, stop };
}

function waitForListening(child: ChildProcess, timeoutMs: number, log?: fs.WriteStream): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let seen = '';
    let settled = false;
    const timer = setTimeout(() => fail(new UnavailableError(`nats-server did not start within ${timeoutMs} ms: ${seen.slice(-500)}`)), timeoutMs);
    function fail(err: Error) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(err);
    }
    child.once('error', (err) => fail(new UnavailableError(`nats-server failed to start: ${err.message}`, { cause: err })));
    child.once('exit', (code) => fail(new UnavailableError(`nats-server exited with code ${code}: ${seen.slice(-500)}`)));
    child.stderr?.on('data', (chunk: Buffer) => {
      log?.write(chunk);
      if (settled) return;
      seen += chunk.toString();
      const m = /Listening for client connections on [^\s]*:(\d+)/.exec(seen);
      if (m && /Server is ready/.test(seen)) {
        settled = true;
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
}
