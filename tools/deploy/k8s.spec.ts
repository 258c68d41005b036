import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { SERVICE_NAMES, SERVICE_PORTS } from '@x0/service-kit';

const dir = path.resolve(__dirname, '../../deploy/k8s');

function docs(file: string): any[] {
  return parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8')).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS();
  });
}

describe('deploy/k8s', () => {
  it('kustomization lists files that exist', () => {
    const [k] = docs('kustomization.yaml');
    for (const r of k.resources) expect(fs.existsSync(path.join(dir, r))).toBe(true);
    for (const g of k.configMapGenerator) for (const f of g.files ?? []) expect(fs.existsSync(path.join(dir, f.split('=')[1]))).toBe(true);
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

  it('NATS runs JetStream on a persistent volume', () => {
    const sts = docs('nats.yaml').find((d) => d.kind === 'StatefulSet');
    expect(sts.spec.template.spec.containers[0].args).toContain('--jetstream');
    expect(sts.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
  });
});
