import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { SERVICE_NAMES, SERVICE_PORTS } from '@x0/service-kit';
import { servicesUsingDataDir } from './data-dir-users';

// The kustomization root is deploy/ (so it can generate the policies ConfigMap from
// deploy/policies.yaml); the manifests are in deploy/k8s.
const root = path.resolve(__dirname, '../../deploy');
const dir = path.join(root, 'k8s');

function docs(file: string, from = dir): any[] {
  return parseAllDocuments(fs.readFileSync(path.join(from, file), 'utf8')).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS();
  });
}

describe('deploy/k8s', () => {
  it('kustomization lists files that exist inside its root (kustomize loads nothing from outside it)', () => {
    const [k] = docs('kustomization.yaml', root);
    const files: string[] = [...k.resources, ...k.configMapGenerator.flatMap((g: { files?: string[] }) => (g.files ?? []).map((f) => f.split('=').pop()!))];
    for (const f of files) {
      expect({ file: f, exists: fs.existsSync(path.join(root, f)), outside: path.relative(root, path.resolve(root, f)).startsWith('..') }).toEqual({ file: f, exists: true, outside: false });
    }
    expect(files).toContain('policies.yaml');
    expect(files).toContain('nats/nats.conf');
  });

  it('every service has a workload with gRPC probes on its port, and a Service', () => {
    const all = docs('services.yaml');
    for (const s of SERVICE_NAMES) {
      const workload = all.find((d) => ['Deployment', 'StatefulSet'].includes(d.kind) && d.metadata.name === `x0-${s}`);
      const svc = all.find((d) => d.kind === 'Service' && d.metadata.name === `x0-${s}`);
      expect(workload).toBeDefined();
      expect(svc.spec.ports.map((p: { port: number }) => p.port)).toEqual([SERVICE_PORTS[s].grpc, SERVICE_PORTS[s].metrics]);
      const c = workload.spec.template.spec.containers[0];
      expect(c.readinessProbe.grpc.port).toBe(SERVICE_PORTS[s].grpc);
      expect(c.livenessProbe.grpc.port).toBe(SERVICE_PORTS[s].grpc);
      expect(c.env.find((e: { name: string }) => e.name === 'SERVICE').value).toBe(s);
      expect(workload.spec.selector.matchLabels).toEqual(workload.spec.template.metadata.labels['app.kubernetes.io/name'] ? { 'app.kubernetes.io/name': `x0-${s}` } : {});
    }
  });

  it('x0 containers use a locally built image (IfNotPresent), and volume-backed /data is writable to the node user (fsGroup 1000)', () => {
    expect(fs.readFileSync(path.resolve(root, '../Dockerfile'), 'utf8')).toMatch(/^USER node$/m);
    const workloads = docs('services.yaml').filter((d) => ['Deployment', 'StatefulSet'].includes(d?.kind));
    expect(workloads).toHaveLength(SERVICE_NAMES.length);
    for (const w of workloads) {
      for (const c of w.spec.template.spec.containers) expect({ name: w.metadata.name, image: c.image, pull: c.imagePullPolicy }).toEqual({ name: w.metadata.name, image: 'x0tta6bl4', pull: 'IfNotPresent' });
      const claims = (w.spec.volumeClaimTemplates ?? []).map((v: { metadata: { name: string } }) => v.metadata.name);
      if (claims.length > 0) expect({ name: w.metadata.name, fsGroup: w.spec.template.spec.securityContext?.fsGroup }).toEqual({ name: w.metadata.name, fsGroup: 1000 });
    }
    expect(workloads.filter((w) => w.spec.volumeClaimTemplates).map((w) => w.metadata.name).sort()).toEqual(['x0-knowledge']);
  });

  it('only the services that write X0_DATA_DIR have storage; the others are Deployments without volumes', () => {
    const workloads = docs('services.yaml').filter((d) => ['Deployment', 'StatefulSet'].includes(d?.kind));
    const writers = servicesUsingDataDir();
    expect(writers).toEqual(['knowledge']);
    for (const s of SERVICE_NAMES) {
      const w = workloads.find((d) => d.metadata.name === `x0-${s}`);
      const mounts = w.spec.template.spec.containers.flatMap((c: { volumeMounts?: { mountPath: string }[] }) => (c.volumeMounts ?? []).map((m) => m.mountPath));
      const got = { service: s, kind: w.kind, claims: (w.spec.volumeClaimTemplates ?? []).length, dataMounted: mounts.includes('/data') };
      expect(got).toEqual(writers.includes(s) ? { service: s, kind: 'StatefulSet', claims: 1, dataMounted: true } : { service: s, kind: 'Deployment', claims: 0, dataMounted: false });
    }
    // One pod at a time, as the StatefulSets were: the monitor snapshots its detectors on the way out.
    for (const s of ['monitor', 'trainer']) expect(workloads.find((d) => d.metadata.name === `x0-${s}`).spec.strategy).toEqual({ type: 'Recreate' });
  });

  it('NATS reads deploy/nats/nats.conf from a generated ConfigMap and keeps JetStream on a persistent volume', () => {
    const sts = docs('nats.yaml').find((d) => d.kind === 'StatefulSet');
    const pod = sts.spec.template.spec;
    // Settings are in the file (nats.int.ts starts a real server with it): no flags besides -c.
    expect(pod.containers[0].args).toEqual(['-c', '/etc/nats/nats.conf']);
    expect(pod.containers[0].volumeMounts).toEqual([
      { name: 'data', mountPath: '/data' },
      { name: 'config', mountPath: '/etc/nats', readOnly: true },
    ]);
    expect(pod.volumes).toEqual([{ name: 'config', configMap: { name: 'nats-config' } }]);
    const [k] = docs('kustomization.yaml', root);
    expect(k.configMapGenerator.find((g: { name: string }) => g.name === 'nats-config')).toEqual({ name: 'nats-config', files: ['nats/nats.conf'] });
    expect(sts.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
    expect(pod.containers[0].readinessProbe.httpGet).toEqual({ path: '/healthz?js-enabled-only=true', port: 8222 });
  });
});
