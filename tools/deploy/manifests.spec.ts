import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { LineCounter, isCollection, parseAllDocuments, visit, type Document } from 'yaml';
import { SERVICE_NAMES } from '@x0/service-kit';

const root = path.resolve(__dirname, '../..');
const deployDir = path.join(root, 'deploy');

/** Every YAML file under deploy/, plus docker-compose.yml: all of them are read by Go YAML parsers (kubectl, compose). */
function yamlFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(e.name)) out.push(path.relative(root, p));
    }
  };
  walk(deployDir);
  return [...out.sort(), 'docker-compose.yml'];
}

/**
 * Problems in one YAML text, each as `file:line: message`: parse errors of the `yaml`
 * package (YAML 1.2), and plain scalars inside a flow collection (`{ … }`, `[ … ]`) that
 * contain '?'. YAML 1.2 allows those, but go-yaml (kubectl, kustomize, docker compose)
 * ends a plain scalar at '?' in flow context and rejects the file; quote such values.
 */
function yamlProblems(file: string, text: string): string[] {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines });
  const at = (offset: number) => `${file}:${lines.linePos(offset).line}`;
  if (!Array.isArray(docs)) return [`${file}: not a YAML stream`];
  const problems: string[] = [];
  for (const doc of docs as Document[]) {
    for (const e of doc.errors) problems.push(`${at(e.pos[0])}: ${e.message.split('\n')[0]}`);
    visit(doc, {
      Scalar(_key, node, ancestors) {
        const inFlow = ancestors.some((a) => isCollection(a) && a.flow);
        if (inFlow && node.type === 'PLAIN' && typeof node.value === 'string' && node.value.includes('?')) {
          problems.push(`${at(node.range?.[0] ?? 0)}: plain scalar ${JSON.stringify(node.value)} in a flow collection contains '?' (go-yaml rejects it; quote it)`);
        }
      },
    });
  }
  return problems;
}

describe('deploy YAML files', () => {
  it('the checker catches a parse error and a go-yaml-only error, with the file and line', () => {
    expect(yamlProblems('a.yaml', 'a: [1, 2\n')).toEqual([expect.stringMatching(/^a\.yaml:\d+: /)]);
    expect(yamlProblems('n.yaml', 'probe:\n  httpGet: { path: /healthz?js-enabled-only=true, port: 8222 }\n')).toEqual([
      `n.yaml:2: plain scalar "/healthz?js-enabled-only=true" in a flow collection contains '?' (go-yaml rejects it; quote it)`,
    ]);
    expect(yamlProblems('q.yaml', 'probe:\n  httpGet: { path: "/healthz?js-enabled-only=true", port: 8222 }\nurl: /a?b\n')).toEqual([]);
  });

  it.each(yamlFiles())('%s parses (yaml package, and go-yaml flow-scalar rules)', (file) => {
    expect(yamlProblems(file, fs.readFileSync(path.join(root, file), 'utf8'))).toEqual([]);
  });
});

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
const hasKubectl = !kubectl.error && kubectl.status === 0;

/** `Kind/name` of every object in a YAML stream. */
function objects(text: string): { kind: string; name: string; namespace?: string; doc: any }[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS())
    .filter((d) => d)
    .map((doc) => ({ kind: doc.kind, name: doc.metadata?.name, namespace: doc.metadata?.namespace, doc }));
}

(hasKubectl ? describe : describe.skip)('kubectl kustomize deploy (skipped when kubectl is not on PATH)', () => {
  let rendered: ReturnType<typeof objects>;

  beforeAll(() => {
    const r = spawnSync('kubectl', ['kustomize', deployDir], { encoding: 'utf8', timeout: 60_000 });
    if (r.error || r.status !== 0) throw new Error(`kubectl kustomize deploy failed (exit ${r.status}): ${r.error?.message ?? r.stderr}`);
    rendered = objects(r.stdout);
  }, 70_000);

  it('renders every object of the resources plus the generated ConfigMaps, in the x0tta6bl4 namespace', () => {
    const k = parseAllDocuments(fs.readFileSync(path.join(deployDir, 'kustomization.yaml'), 'utf8'))[0].toJS();
    const fromResources = (k.resources as string[]).flatMap((r) => objects(fs.readFileSync(path.join(deployDir, r), 'utf8')));
    expect(rendered.map((o) => `${o.kind}/${o.name}`).sort()).toEqual(
      [...fromResources.map((o) => `${o.kind}/${o.name}`), ...rendered.filter((o) => o.kind === 'ConfigMap').map((o) => `ConfigMap/${o.name}`)].sort(),
    );
    expect(rendered.filter((o) => o.kind === 'ConfigMap').length).toBe(k.configMapGenerator.length);
    for (const o of rendered) expect(o.kind === 'Namespace' ? o.name : o.namespace).toBe('x0tta6bl4');
  });

  it('renders a workload for each of the six services, NATS and Qdrant', () => {
    const workloads = rendered.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet').map((o) => o.name);
    expect(workloads.sort()).toEqual([...SERVICE_NAMES.map((s) => `x0-${s}`), 'nats', 'qdrant'].sort());
    expect(rendered.find((o) => o.kind === 'StatefulSet' && o.name === 'nats')).toBeDefined();
  });

  it('the policies ConfigMap holds deploy/policies.yaml as is, and plan mounts it', () => {
    const policies = rendered.find((o) => o.kind === 'ConfigMap' && o.name.startsWith('x0-policies-'));
    expect(policies?.doc.data).toEqual({ 'policies.yaml': fs.readFileSync(path.join(deployDir, 'policies.yaml'), 'utf8') });
    const plan = rendered.find((o) => o.kind === 'Deployment' && o.name === 'x0-plan')!.doc;
    expect(plan.spec.template.spec.volumes).toContainEqual({ name: 'policies', configMap: { name: policies!.name } });
  });
});
