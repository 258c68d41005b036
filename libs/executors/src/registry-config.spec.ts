import { createExecutorRegistry } from './executor-registry';
import { parseExecutorConfig } from './registry-config';

const hook = (over: Record<string, unknown> = {}) => ({ executors: { hook: { type: 'webhook', url: 'https://ops.example.com/x0', secret_env: 'HOOK_SECRET', ...over } } });

describe('registry-config', () => {
  it('parse - fills defaults', () => {
    const cfg = parseExecutorConfig({
      executors: {
        noop: { type: 'dry_run' },
        k8s: { type: 'kubernetes', namespace: 'prod', actions: { scale_up: { op: 'scale', delta: 1 }, restart: { op: 'rollout_restart' } } },
      },
    });
    expect(cfg.executors['k8s']).toEqual({
      type: 'kubernetes',
      namespace: 'prod',
      deployment: '{component}',
      in_cluster: false,
      min_replicas: 1,
      max_replicas: 50,
      max_step: 5,
      timeout_ms: 10_000,
      actions: { scale_up: { op: 'scale', delta: 1 }, restart: { op: 'rollout_restart' } },
    });
  });

  it.each([
    [{ executors: { hook: { type: 'shell', command: 'rm -rf /' } } }, "'executors.hook.type' must have type: dry_run, nats_agent, webhook or kubernetes"],
    [{ executors: { Hook: { type: 'dry_run' } } }, "'executors.Hook' executor names must be lower-case tokens ([a-z][a-z0-9_-]*)"],
    [hook({ url: 'not a url' }), "'executors.hook.url' must be an absolute URL"],
    [hook({ url: 'http://ops.example.com/x0' }), "'executors.hook.url' must be https (http only to a loopback host or with allow_http: true)"],
    [hook({ secret: 'x'.repeat(16) }), "'executors.hook.secret' set exactly one of secret and secret_env"],
    [hook({ secret_env: undefined, secret: 'short' }), "'executors.hook.secret' must be at least 16 characters"],
    [hook({ max_attempts: 0 }), "'executors.hook.max_attempts' must be ≥ 1"],
    [hook({ retries: 3 }), "'executors.hook.retries' is not a known field"],
    [{ executors: { k: { type: 'kubernetes', namespace: 'prod', actions: { scale_up: { op: 'scale', delta: 0 } } } } }, "'executors.k.actions.scale_up.delta' must not be 0"],
    [{ executors: { k: { type: 'kubernetes', namespace: 'prod', actions: { x: { op: 'exec', command: 'sh' } } } } }, "'executors.k.actions.x.op' must have op: scale, scale_to or rollout_restart"],
    [{ executors: { k: { type: 'kubernetes', namespace: 'Prod', actions: { r: { op: 'rollout_restart' } } } } }, "'executors.k.namespace' must be a namespace name"],
    [{ executors: { k: { type: 'kubernetes', namespace: 'p', deployment: 'web', actions: { r: { op: 'rollout_restart' } } } } }, "'executors.k.deployment' must contain {component}"],
    [{ executors: { k: { type: 'kubernetes', namespace: 'p', min_replicas: 5, max_replicas: 2, actions: { r: { op: 'rollout_restart' } } } } }, "'executors.k.max_replicas' must be ≥ min_replicas"],
    [
      { executors: { hook: { type: 'webhook', url: 'https://ops.example.com/x0', secret: 'a-long-enough-secret', headers: { 'x-x0-signature': 'sha256=00' } } } },
      "'executors.hook.headers.x-x0-signature' is set by the executor itself (Content-Type, User-Agent, X-X0-Signature, X-X0-Timestamp, X-X0-Idempotency-Key, Content-Length, Host, Transfer-Encoding, Connection); leave it out",
    ],
    [
      { executors: { hook: { type: 'webhook', url: 'https://ops.example.com/x0', secret: 'a-long-enough-secret', headers: { 'Content-Type': 'text/plain' } } } },
      "'executors.hook.headers.Content-Type' is set by the executor itself (Content-Type, User-Agent, X-X0-Signature, X-X0-Timestamp, X-X0-Idempotency-Key, Content-Length, Host, Transfer-Encoding, Connection); leave it out",
    ],
    [
      { executors: { k: { type: 'kubernetes', namespace: 'p', max_step: 2, actions: { scale_up: { op: 'scale', delta: 3 } } } } },
      "'executors.k.actions.scale_up.delta' must be at most max_step (2) away from 0, got 3",
    ],
    [
      { executors: { k: { type: 'kubernetes', namespace: 'p', min_replicas: 2, max_replicas: 10, actions: { big: { op: 'scale_to', replicas: 40 } } } } },
      "'executors.k.actions.big.replicas' must be within min_replicas..max_replicas (2..10), got 40",
    ],
  ])('parse - %j is refused', (input, message) => {
    expect(() => parseExecutorConfig(input)).toThrow(message);
  });

  it('parse - http is fine to a loopback host', () => {
    expect(() => parseExecutorConfig(hook({ url: 'http://127.0.0.1:8080/hook' }))).not.toThrow();
  });

  it('create - secrets come from the environment; an unset one is named', () => {
    expect(() => createExecutorRegistry(hook(), { env: {} })).toThrow("'executors.hook.secret_env' names HOOK_SECRET, which is not set");
    expect(() => createExecutorRegistry(hook(), { env: { HOOK_SECRET: 'short' } })).toThrow("'executors.hook.secret_env' HOOK_SECRET must hold at least 16 characters");
    expect(createExecutorRegistry(hook(), { env: { HOOK_SECRET: 's'.repeat(32) } }).names()).toEqual(['hook']);
  });

  it('create - a nats_agent executor needs a connection', () => {
    expect(() => createExecutorRegistry({ executors: { agent: { type: 'nats_agent' } } })).toThrow("'executors.agent' is a nats_agent executor but no NATS connection was given");
  });
});
