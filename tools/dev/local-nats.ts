/**
 * Finds a NATS server with JetStream for `npm start`: the one at NATS_URL when it answers,
 * otherwise a local nats-server started with a data folder under the project, installing
 * the binary with apt-get where that is possible (Debian/Ubuntu as root).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { errorMessage } from '@x0/core';
import { findNatsServerBinary, startNatsServer, type NatsServerProcess } from '@x0/bus';

export type NatsProbe = { ok: true } | { ok: false; reason: string };

/** Can we connect to `url`, and does it have JetStream? */
export async function probeNats(url: string, timeoutMs = 1500): Promise<NatsProbe> {
  let nc;
  try {
    nc = await connect({ servers: url, timeout: timeoutMs, maxReconnectAttempts: 0, reconnect: false });
  } catch (err) {
    return { ok: false, reason: `no NATS server answers at ${url} (${errorMessage(err)})` };
  }
  try {
    await (await jetstreamManager(nc, { timeout: timeoutMs })).getAccountInfo();
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: `the NATS server at ${url} has no JetStream (${errorMessage(err)}); start it with -js` };
  } finally {
    await nc.close();
  }
}

/** How to get nats-server on this platform, when we cannot do it ourselves. */
export function installHelp(): string {
  const lines = ['nats-server is needed (no npm package ships it). Install it, then run npm start again:'];
  if (process.platform === 'darwin') lines.push('  brew install nats-server');
  else if (process.platform === 'win32') lines.push('  winget install nats-io.nats-server   (or: choco install nats-server)');
  else {
    lines.push('  Debian/Ubuntu:  sudo apt-get install -y nats-server');
    lines.push('  Alpine:         sudo apk add nats-server');
    lines.push('  Fedora:         sudo dnf install nats-server');
  }
  lines.push('  Any platform:   https://github.com/nats-io/nats-server/releases (or: go install github.com/nats-io/nats-server/v2@latest)');
  lines.push('Or point NATS_URL at a NATS server that runs with JetStream (nats-server -js).');
  return lines.join('\n');
}

/** Installs nats-server with apt-get when we are root on Debian/Ubuntu; true on success. */
export function tryAptInstall(log: (line: string) => void): boolean {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (process.platform !== 'linux' || !isRoot || !fs.existsSync('/usr/bin/apt-get')) return false;
  const run = (args: string[]) => execFileSync('/usr/bin/apt-get', args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  try {
    log('installing nats-server with apt-get ...');
    try {
      run(['install', '-y', '-q', 'nats-server']);
    } catch {
      run(['update', '-q']);
      run(['install', '-y', '-q', 'nats-server']);
    }
    return findNatsServerBinary() !== undefined;
  } catch (err) {
    log(`apt-get install nats-server failed: ${errorMessage(err)}`);
    return false;
  }
}

/** A NATS URL to use, and the server we started (if any). Throws with install help when there is none. */
export async function ensureNats(dataDir: string, log: (line: string) => void): Promise<{ url: string; server?: NatsServerProcess }> {
  const explicit = process.env['NATS_URL'];
  const url = explicit || 'nats://127.0.0.1:4222';
  const probe = await probeNats(url);
  if (probe.ok) {
    log(`using the NATS server at ${url}`);
    return { url };
  }
  if (explicit) throw new Error(`${probe.reason}. Unset NATS_URL to let npm start run a local server.`);
  log(`${probe.reason}; starting a local nats-server`);
  if (!findNatsServerBinary() && !tryAptInstall(log)) throw new Error(installHelp());
  const storeDir = path.join(dataDir, 'nats');
  fs.mkdirSync(path.join(dataDir, 'logs'), { recursive: true });
  // Port 4222 is free (nothing answered there); fall back to any port if it is taken by a non-NATS process.
  let server: NatsServerProcess;
  try {
    server = await startNatsServer({ port: 4222, storeDir, logFile: path.join(dataDir, 'logs/nats.log') });
  } catch {
    server = await startNatsServer({ storeDir, logFile: path.join(dataDir, 'logs/nats.log') });
  }
  log(`nats-server ${server.url} (JetStream store ${path.relative(process.cwd(), storeDir)}, pid ${server.pid})`);
  return { url: server.url, server };
}
