import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Severity } from '@x0/contracts';
import { createExecutorRegistry } from '@x0/executors';
import { DEFAULT_EXECUTOR_CONFIG, executorOffer, loadExecutorConfig } from './execute-config';
import { isHealthy } from './verifier';

describe('execute config', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'x0-exec-cfg-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('loadExecutorConfig - default allowlist: the agent and a dry-run executor', async () => {
    expect(await loadExecutorConfig('')).toEqual({ executors: { agent: { type: 'nats_agent', timeout_ms: 5000 }, 'dry-run': { type: 'dry_run' } } });
  });

  it('loadExecutorConfig - errors name the field and the file', async () => {
    const f = path.join(dir, 'bad.yaml');
    fs.writeFileSync(f, 'executors:\n  hook: { type: webhook, url: "http://example.com/x", secret_env: HOOK_SECRET }\n');
    await expect(loadExecutorConfig(f)).rejects.toThrow(`'executors.hook.url' must be https (http only to a loopback host or with allow_http: true) (in ${f})`);
    await expect(loadExecutorConfig(path.join(dir, 'none.yaml'))).rejects.toThrow(/^'EXECUTE_CONFIG_FILE' cannot read .*none\.yaml/);
  });

  it('executorOffer - configured actions of webhook/kubernetes executors; agent allowlists', () => {
    const registry = createExecutorRegistry(
      {
        executors: {
          agent: { type: 'nats_agent', actions: ['restart'] },
          hook: { type: 'webhook', url: 'https://ops.example.com/x0', secret: 'a-secret-of-16-chars', actions: ['rollback'] },
          k8s: { type: 'kubernetes', namespace: 'prod', actions: { scale_up: { op: 'scale', delta: 1 }, restart: { op: 'rollout_restart' } } },
          noop: { type: 'dry_run' },
        },
      },
      { nc: {} as never },
    );
    const offer = executorOffer(registry);
    expect(offer.configActions).toEqual(['restart', 'rollback', 'scale_up']);
    expect([...offer.agentAllowlist!]).toEqual(['restart']);
    expect(offer.agents).toBe(true);
    const dflt = executorOffer(createExecutorRegistry(DEFAULT_EXECUTOR_CONFIG, { nc: {} as never }));
    expect(dflt).toEqual({ configActions: [], agentAllowlist: undefined, agents: true });
  });

  it('isHealthy - no open incident and severity below medium', () => {
    expect(isHealthy({ openAnomalyId: '', severity: Severity.SEVERITY_LOW })).toBe(true);
    expect(isHealthy({ openAnomalyId: '', severity: Severity.SEVERITY_UNSPECIFIED })).toBe(true);
    expect(isHealthy({ openAnomalyId: 'an_1', severity: Severity.SEVERITY_LOW })).toBe(false);
    expect(isHealthy({ openAnomalyId: '', severity: Severity.SEVERITY_MEDIUM })).toBe(false);
  });
});
