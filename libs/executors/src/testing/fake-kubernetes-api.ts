import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A Deployment as the fake API keeps it (the fields the executor touches). */
export interface FakeDeployment {
  metadata: { name: string; namespace: string; resourceVersion: string; annotations: Record<string, string> };
  spec: { replicas: number; template: { metadata: { annotations: Record<string, string> } } };
}

/** One request the fake API received. */
export interface FakeApiRequest {
  method: string;
  path: string;
  contentType?: string;
  authorization?: string;
  body: unknown;
}

/** A local HTTP server answering like the Kubernetes API for apps/v1 Deployments and their scale. */
export interface FakeKubernetesApi {
  readonly url: string;
  readonly requests: FakeApiRequest[];
  deployment(namespace: string, name: string): FakeDeployment | undefined;
  /** Answer the next `times` requests with `status` (a Status object). */
  failNext(status: number, times?: number): void;
  /** Change a deployment behind the executor's back (bumps resourceVersion) before the next PATCH. */
  conflictOnNextPatch(): void;
  /**
   * A kubeconfig (YAML) with context `fake` pointing at this server with the given token, and
   * a current-context `other` pointing at a closed port (so a test shows context selection).
   */
  kubeconfig(token?: string): string;
  close(): Promise<void>;
}

const DEPLOYMENT = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+?)(\/scale)?$/;

/**
 * Starts the fake API on 127.0.0.1 (free port). Requests must carry `Bearer <token>` when
 * `token` is set. Supports GET/PATCH of deployments and of deployments/<name>/scale, merge
 * patches (RFC 7386), resourceVersion preconditions (409 Conflict) and 404 Status objects.
 */
export async function startFakeKubernetesApi(options: { token?: string; deployments: Array<{ namespace: string; name: string; replicas: number }> }): Promise<FakeKubernetesApi> {
  const store = new Map<string, FakeDeployment>();
  let version = 100;
  for (const d of options.deployments) {
    store.set(`${d.namespace}/${d.name}`, {
      metadata: { name: d.name, namespace: d.namespace, resourceVersion: String(version++), annotations: {} },
      spec: { replicas: d.replicas, template: { metadata: { annotations: {} } } },
    });
  }
  const requests: FakeApiRequest[] = [];
  let failures: { status: number; times: number } | undefined;
  let conflict = false;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const body = raw ? (JSON.parse(raw) as unknown) : undefined;
      const path = (req.url ?? '').split('?')[0];
      requests.push({ method: req.method ?? '', path, contentType: req.headers['content-type'], authorization: req.headers.authorization, body });
      const send = (code: number, obj: unknown) => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(obj));
      };
      const status = (code: number, reason: string, message: string) => send(code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code });
      if (options.token && req.headers.authorization !== `Bearer ${options.token}`) return status(401, 'Unauthorized', 'Unauthorized');
      if (failures && failures.times > 0) {
        failures.times--;
        return status(failures.status, 'InternalError', `injected failure ${failures.status}`);
      }
      const m = DEPLOYMENT.exec(path);
      if (!m) return status(404, 'NotFound', `the server could not find the requested resource`);
      const [, namespace, name, scale] = m;
      const d = store.get(`${namespace}/${name}`);
      if (!d) return status(404, 'NotFound', `deployments.apps "${name}" not found`);
      if (req.method === 'PATCH') {
        if (!/^application\/(merge-patch|strategic-merge-patch)\+json/.test(req.headers['content-type'] ?? '')) {
          return status(415, 'UnsupportedMediaType', `unsupported patch type ${req.headers['content-type']}`);
        }
        if (conflict) {
          conflict = false;
          d.spec.replicas += 1;
          d.metadata.resourceVersion = String(version++);
        }
        const patch = body as { metadata?: { resourceVersion?: string } };
        if (patch?.metadata?.resourceVersion && patch.metadata.resourceVersion !== d.metadata.resourceVersion) {
          return status(409, 'Conflict', `Operation cannot be fulfilled on deployments.apps "${name}": the object has been modified`);
        }
        const target = scale ? scaleOf(d) : d;
        const merged = mergePatch(target, body) as FakeDeployment & { spec: { replicas: number } };
        if (scale) d.spec.replicas = merged.spec.replicas;
        else Object.assign(d, { spec: merged.spec, metadata: { ...merged.metadata, name, namespace } });
        d.metadata.resourceVersion = String(version++);
      } else if (req.method !== 'GET') {
        return status(405, 'MethodNotAllowed', `${req.method} not supported`);
      }
      send(200, scale ? scaleOf(d) : { apiVersion: 'apps/v1', kind: 'Deployment', ...d });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    deployment: (namespace, name) => store.get(`${namespace}/${name}`),
    failNext: (code, times = 1) => (failures = { status: code, times }),
    conflictOnNextPatch: () => (conflict = true),
    kubeconfig: (token = options.token ?? 'test-token') =>
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: fake',
        `  cluster: { server: "${url}", insecure-skip-tls-verify: true }`,
        '- name: elsewhere',
        '  cluster: { server: "http://127.0.0.1:1", insecure-skip-tls-verify: true }',
        'users:',
        `- name: x0\n  user: { token: "${token}" }`,
        'contexts:',
        '- name: fake\n  context: { cluster: fake, user: x0 }',
        '- name: other\n  context: { cluster: elsewhere, user: x0 }',
        'current-context: other',
        '',
      ].join('\n'),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function scaleOf(d: FakeDeployment) {
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: { name: d.metadata.name, namespace: d.metadata.namespace, resourceVersion: d.metadata.resourceVersion },
    spec: { replicas: d.spec.replicas },
    status: { replicas: d.spec.replicas },
  };
}

/** RFC 7386 JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}
