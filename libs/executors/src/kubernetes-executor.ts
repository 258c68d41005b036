import { InvalidArgumentError, errorMessage } from '@x0/core';
import type * as K8s from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import { result, type ExecutionRequest, type ExecutionResult, type Executor, type ParamLimits } from './types';

/** What an action does to the component's Deployment. */
export type KubernetesOperation =
  | { op: 'scale'; delta: number }
  | { op: 'scale_to'; replicas?: number }
  | { op: 'rollout_restart' };

/** How the executor reaches the API server. */
export interface KubeconfigSource {
  /** Kubeconfig file; the default search (KUBECONFIG, ~/.kube/config, in-cluster) when omitted. */
  path?: string;
  /** Context to use instead of the file's current-context. */
  context?: string;
  /** Use the pod's service account. */
  inCluster?: boolean;
}

/** Options of KubernetesExecutor. */
export interface KubernetesExecutorOptions {
  name: string;
  /** The one namespace this executor acts in. */
  namespace: string;
  /** Deployment name for a component; `{component}` is replaced (default `{component}`). */
  deployment?: string;
  /** Allowed actions and what each does. */
  actions: Readonly<Record<string, KubernetesOperation>>;
  minReplicas?: number;
  maxReplicas?: number;
  /** Largest change of replicas one action may make (default 5). */
  maxStep?: number;
  /** Longest wait for the API server per call (default 10,000 ms). */
  timeoutMs?: number;
  kubeconfig?: KubeconfigSource;
  clock?: () => number;
}

/** Pod-template annotation whose change makes the Deployment roll its pods (what `kubectl rollout restart` sets). */
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const CONFLICT_RETRIES = 3;

type Client = { k8s: typeof K8s; apps: K8s.AppsV1Api };

/**
 * Scales a Deployment (by a delta or to a replica count, through the scale subresource,
 * within [minReplicas, maxReplicas] and at most maxStep at a time, with optimistic
 * concurrency on resourceVersion) or restarts it (patching the pod template's
 * `kubectl.kubernetes.io/restartedAt`, like `kubectl rollout restart`). Only the configured
 * namespace and actions; the Deployment name comes from the component through a template.
 */
export class KubernetesExecutor implements Executor {
  readonly type = 'kubernetes';
  readonly name: string;
  readonly actions: readonly string[];
  private readonly namespace: string;
  private readonly template: string;
  private readonly ops: Readonly<Record<string, KubernetesOperation>>;
  private readonly minReplicas: number;
  private readonly maxReplicas: number;
  private readonly maxStep: number;
  private readonly timeoutMs: number;
  private readonly source: KubeconfigSource;
  private readonly clock: () => number;
  private client?: Promise<Client>;

  /** Throws InvalidArgumentError for inconsistent settings. */
  constructor(options: KubernetesExecutorOptions) {
    this.name = options.name;
    this.namespace = options.namespace;
    if (!DNS1123.test(this.namespace)) throw new InvalidArgumentError('namespace', `must be a Kubernetes namespace name, got ${JSON.stringify(this.namespace)}`);
    this.template = options.deployment ?? '{component}';
    this.ops = options.actions;
    this.actions = Object.keys(options.actions).sort();
    this.minReplicas = options.minReplicas ?? 1;
    this.maxReplicas = options.maxReplicas ?? 50;
    this.maxStep = options.maxStep ?? 5;
    if (!(this.minReplicas >= 0 && this.maxReplicas >= this.minReplicas)) throw new InvalidArgumentError('maxReplicas', 'must be ≥ minReplicas ≥ 0');
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.source = options.kubeconfig ?? {};
    this.clock = options.clock ?? Date.now;
  }

  /** A `scale` action's `delta`: the configured direction, at most `max_step` replicas (what `execute` refuses beyond). */
  paramLimits(action: string): ParamLimits | undefined {
    const op = this.ops[action];
    if (op?.op !== 'scale') return undefined;
    return { delta: op.delta > 0 ? { min: 1, max: this.maxStep } : { min: -this.maxStep, max: -1 } };
  }

  describe(request: ExecutionRequest): string {
    const op = this.ops[request.action];
    const target = `deployment ${this.namespace}/${this.deploymentName(request.component) ?? '?'}`;
    if (!op) return `refuse ${request.action}: not configured for ${this.name}`;
    if (op.op === 'rollout_restart') return `rollout-restart ${target}`;
    if (op.op === 'scale_to') return `scale ${target} to ${request.params['replicas'] ?? op.replicas} replicas`;
    return `scale ${target} by ${request.params['delta'] ?? op.delta}`;
  }

  async execute(request: ExecutionRequest): Promise<ExecutionResult> {
    const started = performance.now();
    const op = this.ops[request.action];
    if (!op) return result('failed', `action ${request.action} is not configured for executor ${this.name}`, started, { reason: 'not_allowed' });
    const deployment = this.deploymentName(request.component);
    if (!deployment) {
      return result('failed', `component ${request.component} does not map to a valid Deployment name`, started, { reason: 'bad_name' });
    }
    const where = { namespace: this.namespace, deployment };
    try {
      if (op.op === 'rollout_restart') return await this.restart(request, deployment, started);
      const target = this.targetOf(op, request.params);
      if (typeof target === 'string') return result('failed', target, started, { ...where, reason: 'bad_params' });
      return await this.scale(request, deployment, target, started);
    } catch (err) {
      return result('failed', describeApiError(err, `${this.namespace}/${deployment}`), started, { ...where, reason: 'api_error', code: (err as { code?: number }).code });
    }
  }

  private async restart(request: ExecutionRequest, deployment: string, started: number): Promise<ExecutionResult> {
    const { k8s, apps } = await this.api();
    const at = new Date(this.clock()).toISOString();
    const body = { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: at } } } } };
    await this.call(request, () => apps.patchNamespacedDeployment({ name: deployment, namespace: this.namespace, body }, patchOptions(k8s)));
    return result('succeeded', `rollout restart of deployment ${this.namespace}/${deployment}`, started, { namespace: this.namespace, deployment, restartedAt: at });
  }

  private async scale(request: ExecutionRequest, deployment: string, target: (current: number) => number, started: number): Promise<ExecutionResult> {
    const { k8s, apps } = await this.api();
    const where = { namespace: this.namespace, deployment };
    for (let attempt = 1; ; attempt++) {
      const scale = await this.call(request, () => apps.readNamespacedDeploymentScale({ name: deployment, namespace: this.namespace }));
      const from = scale.spec?.replicas ?? 0;
      const to = Math.max(this.minReplicas, Math.min(this.maxReplicas, target(from)));
      if (to === from) {
        return result('skipped', `deployment ${this.namespace}/${deployment} stays at ${from} replicas (limits ${this.minReplicas}..${this.maxReplicas})`, started, { ...where, from, to });
      }
      const body = { metadata: { resourceVersion: scale.metadata?.resourceVersion }, spec: { replicas: to } };
      try {
        await this.call(request, () => apps.patchNamespacedDeploymentScale({ name: deployment, namespace: this.namespace, body }, patchOptions(k8s)));
        return result('succeeded', `scaled deployment ${this.namespace}/${deployment} from ${from} to ${to} replicas`, started, { ...where, from, to, attempts: attempt });
      } catch (err) {
        // Someone else changed it between our read and write: read again and recompute.
        if ((err as { code?: number }).code !== 409 || attempt >= CONFLICT_RETRIES) throw err;
      }
    }
  }

  /** Parses and bounds the action's parameters; a string is the reason they are refused. */
  private targetOf(op: Exclude<KubernetesOperation, { op: 'rollout_restart' }>, params: Readonly<Record<string, string>>): ((current: number) => number) | string {
    if (op.op === 'scale_to') {
      const replicas = params['replicas'] !== undefined ? parseInteger(params['replicas']) : op.replicas;
      if (replicas === undefined) return "scale_to needs a 'replicas' parameter (an integer)";
      if (replicas < this.minReplicas || replicas > this.maxReplicas) return `replicas ${replicas} outside ${this.minReplicas}..${this.maxReplicas}`;
      return (current) => (Math.abs(replicas - current) > this.maxStep ? current + Math.sign(replicas - current) * this.maxStep : replicas);
    }
    const delta = params['delta'] !== undefined ? parseInteger(params['delta']) : op.delta;
    if (delta === undefined || delta === 0) return "'delta' must be a non-zero integer";
    if (Math.sign(delta) !== Math.sign(op.delta)) return `'delta' ${delta} goes the wrong way for this action (configured ${op.delta})`;
    if (Math.abs(delta) > this.maxStep) return `'delta' ${delta} exceeds max_step ${this.maxStep}`;
    return (current) => current + delta;
  }

  private deploymentName(component: string): string | undefined {
    const name = this.template.split('{component}').join(component);
    return name.length <= 253 && DNS1123.test(name) ? name : undefined;
  }

  private async call<T>(request: ExecutionRequest, fn: () => Promise<T>): Promise<T> {
    const ms = Math.min(this.timeoutMs, request.deadline - this.clock());
    if (ms <= 0) throw new Error('deadline passed before calling the Kubernetes API');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      // The request may still complete after this: the message says the state is unknown.
      timer = setTimeout(() => reject(new Error(`no answer from the Kubernetes API within ${ms} ms (the change may or may not have been applied)`)), ms);
    });
    try {
      return await Promise.race([fn(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private api(): Promise<Client> {
    this.client ??= loadClient(this.source);
    return this.client;
  }
}

async function loadClient(source: KubeconfigSource): Promise<Client> {
  // @kubernetes/client-node is an ES module: loaded on first use, so merely configuring a
  // Kubernetes executor costs nothing.
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  if (source.inCluster) kc.loadFromCluster();
  else if (source.path) kc.loadFromFile(source.path);
  else kc.loadFromDefault();
  if (source.context) kc.setCurrentContext(source.context);
  return { k8s, apps: kc.makeApiClient(k8s.AppsV1Api) };
}

function patchOptions(k8s: typeof K8s) {
  return k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
}

function parseInteger(s: string): number | undefined {
  return /^[+-]?\d{1,6}$/.test(s.trim()) ? Number(s) : undefined;
}

function describeApiError(err: unknown, target: string): string {
  const e = err as { code?: number; body?: unknown };
  if (typeof e.code === 'number') {
    let message = '';
    try {
      const status = (typeof e.body === 'string' ? JSON.parse(e.body) : e.body) as { message?: string } | undefined;
      message = status?.message ?? '';
    } catch {
      // body is not a Status object
    }
    if (e.code === 404) return `deployment ${target} not found`;
    if (e.code === 401) return `Kubernetes API answered 401 for ${target}: the kubeconfig's credentials were not accepted`;
    if (e.code === 403) {
      return `Kubernetes API answered 403 for ${target}: not allowed to get/patch deployments and deployments/scale (RBAC)${message ? `: ${message}` : ''}`;
    }
    return `Kubernetes API answered ${e.code} for ${target}${message ? `: ${message}` : ''}`;
  }
  return `cannot reach the Kubernetes API for ${target}: ${errorMessage(err)}`;
}
