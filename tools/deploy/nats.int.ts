import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { parse, parseAllDocuments } from 'yaml';
import { findNatsServerBinary } from '@x0/bus';

/**
 * Runs the real nats-server the way docker compose and the k8s manifest run the NATS
 * container: the same arguments and the same mounted files, with the container's paths moved
 * under a temporary directory and its ports swapped for free ones. A flag nats-server does not
 * know (`--max_payload`) makes it exit at once; a missing setting shows up in what it serves.
 */

const root = path.resolve(__dirname, '../..');
const binary = findNatsServerBinary();
const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
const hasKubectl = !kubectl.error && kubectl.status === 0;

/** The NATS container as a runtime would start it. */
interface NatsContainer {
  /** Arguments after the image's entrypoint (nats:2.10-alpine prepends nats-server to them). */
  args: string[];
  /** Files mounted into the container, by their path inside it. */
  files: Record<string, string>;
  /** Directory of the persistent volume inside the container. */
  dataDir: string;
  clientPort: number;
  monitorPort: number;
  /** The health check's request: the compose healthcheck URL or the k8s readiness probe. */
  health: { port: number; path: string };
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** Replaces whole-number occurrences of the container's ports and its paths. */
function substitute(text: string, ports: Map<number, number>, paths: Map<string, string>): string {
  let out = text;
  for (const [from, to] of paths) out = out.split(from).join(to);
  for (const [from, to] of ports) out = out.replace(new RegExp(`(?<![\\d.])${from}(?!\\d)`, 'g'), String(to));
  return out;
}

interface Running {
  child: ChildProcess;
  stderr: () => string;
  url: string;
  healthUrl: string;
  dataDir: string;
  stop(): Promise<void>;
}

async function launch(c: NatsContainer): Promise<Running> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'x0-deploy-nats-'));
  const paths = new Map<string, string>([[c.dataDir, path.join(tmp, c.dataDir)], ...Object.keys(c.files).map((f) => [f, path.join(tmp, f)] as [string, string])]);
  const [client, monitor] = [await freePort(), await freePort()];
  const ports = new Map([[c.clientPort, client], [c.monitorPort, monitor]]);
  fs.mkdirSync(paths.get(c.dataDir)!, { recursive: true });
  for (const [f, text] of Object.entries(c.files)) {
    fs.mkdirSync(path.dirname(paths.get(f)!), { recursive: true });
    fs.writeFileSync(paths.get(f)!, substitute(text, ports, paths));
  }
  // Loopback only: appended, so it overrides a listen address in the config.
  const child = spawn(binary!, [...c.args.map((a) => substitute(a, ports, paths)), '-a', '127.0.0.1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  const healthUrl = `http://127.0.0.1:${substitute(String(c.health.port), ports, paths)}${c.health.path}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`nats-server exited with ${child.exitCode}: ${err.trim().split('\n').slice(-3).join(' | ')}`);
    }
    const ok = await fetch(healthUrl).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`nats-server did not answer ${healthUrl} within 10 s: ${err.slice(-500)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, stderr: () => err, url: `nats://127.0.0.1:${client}`, healthUrl, dataDir: paths.get(c.dataDir)!, stop };
}

/** What the services need from the server: JetStream storing on the volume, 8 MB messages. */
async function expectServesTheStack(c: NatsContainer): Promise<void> {
  // The image's entrypoint runs `nats-server "$@"` only when the first argument is a flag.
  expect(c.args[0]).toMatch(/^-/);
  const server = await launch(c);
  const nc = await connect({ servers: server.url });
  try {
    expect(nc.info?.max_payload).toBe(8 * 1024 * 1024);
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'DEPLOY_CHECK', subjects: ['deploy.check'] });
    // Over the 1 MB default: refused unless max_payload took effect.
    const ack = await jetstream(nc).publish('deploy.check', new Uint8Array(3 * 1024 * 1024));
    expect(ack.seq).toBe(1);
    expect(fs.readdirSync(path.join(server.dataDir, 'jetstream'))).not.toHaveLength(0);
    expect(await fetch(server.healthUrl).then((r) => r.status)).toBe(200);
  } finally {
    await nc.close();
    await server.stop();
  }
}

/** The port number and path of an http://host:port/path URL. */
function portAndPath(url: string): { port: number; path: string } {
  const u = new URL(url);
  return { port: Number(u.port), path: `${u.pathname}${u.search}` };
}

function fromCompose(): NatsContainer {
  const nats = parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }).services.nats;
  const files: Record<string, string> = {};
  let dataDir = '';
  for (const v of nats.volumes as string[]) {
    const [source, target] = v.split(':');
    if (source.startsWith('.') || source.startsWith('/')) files[target] = fs.readFileSync(path.resolve(root, source), 'utf8');
    else dataDir = target;
  }
  const containerPorts = (nats.ports as string[]).map((p) => Number(p.split(':').pop()));
  const url = (nats.healthcheck.test as string[]).find((t) => t.startsWith('http://'))!;
  return {
    args: typeof nats.command === 'string' ? nats.command.split(/\s+/) : nats.command,
    files,
    dataDir,
    clientPort: containerPorts[0],
    monitorPort: containerPorts[1],
    health: portAndPath(url),
  };
}

function fromKustomize(): NatsContainer {
  const r = spawnSync('kubectl', ['kustomize', path.join(root, 'deploy')], { encoding: 'utf8', timeout: 60_000 });
  if (r.error || r.status !== 0) throw new Error(`kubectl kustomize deploy failed (exit ${r.status}): ${r.error?.message ?? r.stderr}`);
  const objects = parseAllDocuments(r.stdout).map((d) => d.toJS()).filter(Boolean);
  const sts = objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'nats');
  const pod = sts.spec.template.spec;
  const container = pod.containers[0];
  const files: Record<string, string> = {};
  let dataDir = '';
  for (const m of container.volumeMounts as { name: string; mountPath: string }[]) {
    const volume = (pod.volumes ?? []).find((v: { name: string }) => v.name === m.name);
    if (volume?.configMap) {
      const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === volume.configMap.name);
      for (const [key, text] of Object.entries(cm.data as Record<string, string>)) files[path.posix.join(m.mountPath, key)] = text;
    } else if (sts.spec.volumeClaimTemplates?.some((t: { metadata: { name: string } }) => t.metadata.name === m.name)) {
      dataDir = m.mountPath;
    }
  }
  const port = (name: string) => container.ports.find((p: { name: string }) => p.name === name).containerPort;
  return {
    args: [...(container.command ?? []), ...(container.args ?? [])],
    files,
    dataDir,
    clientPort: port('client'),
    monitorPort: port('monitor'),
    health: { port: container.readinessProbe.httpGet.port, path: container.readinessProbe.httpGet.path },
  };
}

(binary ? describe : describe.skip)('NATS as deployed (real nats-server; skipped when none is installed)', () => {
  it('launcher - a flag nats-server does not define stops it, with its message', async () => {
    const c = fromCompose();
    await expect(launch({ ...c, args: [...c.args, '--max_payload', '8MB'] })).rejects.toThrow(/flag provided but not defined: -max_payload/);
  });

  it('launcher - a server without the 8 MB max_payload fails the check', async () => {
    const c = fromCompose();
    const files = Object.fromEntries(Object.entries(c.files).map(([f, t]) => [f, t.replace(/^max_payload:.*$/m, '')]));
    await expect(expectServesTheStack({ ...c, files })).rejects.toThrow(/8388608/);
  });

  it('docker-compose.yml - the nats service starts with JetStream on its volume, 8 MB messages and a passing healthcheck', async () => {
    const c = fromCompose();
    expect(c.dataDir).toBe('/data');
    await expectServesTheStack(c);
  });

  (hasKubectl ? it : it.skip)('kubectl kustomize deploy - the NATS StatefulSet starts with JetStream on its claim, 8 MB messages and a passing readiness probe', async () => {
    const c = fromKustomize();
    expect(Object.keys(c.files)).toEqual(['/etc/nats/nats.conf']);
    expect(c.dataDir).toBe('/data');
    await expectServesTheStack(c);
  });

  it('compose and k8s run NATS from the same file, deploy/nats/nats.conf', () => {
    const conf = fs.readFileSync(path.join(root, 'deploy/nats/nats.conf'), 'utf8');
    expect(Object.values(fromCompose().files)).toEqual([conf]);
    if (hasKubectl) expect(Object.values(fromKustomize().files)).toEqual([conf]);
  });
});
