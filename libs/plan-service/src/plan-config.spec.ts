import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkExplainTtl, loadGuardrailsConfig, mergeDeep } from './plan-config';

describe('plan config', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'x0-plan-cfg-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    fs.writeFileSync(path.join(dir, name), text);
    return path.join(dir, name);
  };

  it('loadGuardrailsConfig - service defaults without a file', async () => {
    const c = await loadGuardrailsConfig('');
    expect(c.stabilisation).toMatchObject({ minConsecutive: 1, flapWindowS: 15, episodeGapS: 300 });
    expect(c.rateLimit.component).toEqual({ enabled: true, max: 5, windowS: 300 });
    expect(c.rateLimit.global).toEqual({ enabled: true, max: 20, windowS: 60 });
    expect(c.dryRun).toBe(false);
  });

  it('loadGuardrailsConfig - the file overrides field by field; PLAN_DRY_RUN forces dry-run', async () => {
    const f = file('g.yaml', 'rateLimit:\n  component: { max: 2 }\nstabilisation: { flapWindowS: 0 }\n');
    const c = await loadGuardrailsConfig(f, { dryRun: true });
    expect(c.rateLimit.component).toEqual({ enabled: true, max: 2, windowS: 300 });
    expect(c.stabilisation).toMatchObject({ minConsecutive: 1, flapWindowS: 0 });
    expect(c.dryRun).toBe(true);
    const json = file('g.json', '{"dryRun": true, "approval": {"minRisk": "medium"}}');
    expect(await loadGuardrailsConfig(json)).toMatchObject({ dryRun: true, approval: { minRisk: 'medium', timeoutS: 900 } });
  });

  it('loadGuardrailsConfig - errors name the setting and the file', async () => {
    const typo = file('typo.yaml', 'rateLimit: { globl: { max: 3 } }\n');
    await expect(loadGuardrailsConfig(typo)).rejects.toThrow(`'rateLimit.globl' is not a known setting (in ${typo})`);
    const bad = file('bad.yaml', 'blastRadius: { maxFraction: 2 }\n');
    await expect(loadGuardrailsConfig(bad)).rejects.toThrow(`'blastRadius.maxFraction' must be ≤ 1 (in ${bad})`);
    await expect(loadGuardrailsConfig(path.join(dir, 'missing.yaml'))).rejects.toThrow(/^'PLAN_GUARDRAILS_FILE' cannot read .*missing\.yaml/);
    const list = file('list.yaml', '- 1\n');
    await expect(loadGuardrailsConfig(list)).rejects.toThrow('must hold a mapping of guardrail settings');
  });

  it('checkExplainTtl - PLAN_EXPLAIN_TTL_S must cover the approval and in-flight timeouts', async () => {
    const c = await loadGuardrailsConfig('');
    expect(() => checkExplainTtl(60, c)).toThrow(
      "'PLAN_EXPLAIN_TTL_S' must be ≥ 900 (the guardrails' approval.timeoutS 900 and blastRadius.inFlightTimeoutS 600): a plan waiting for an operator must stay explainable and restorable, got 60",
    );
    expect(() => checkExplainTtl(900, c)).not.toThrow();
    const short = await loadGuardrailsConfig(file('short.yaml', 'approval: { timeoutS: 60 }\nblastRadius: { inFlightTimeoutS: 120 }\n'));
    expect(() => checkExplainTtl(60, short)).toThrow(/^'PLAN_EXPLAIN_TTL_S' must be ≥ 120 /);
    expect(() => checkExplainTtl(120, short)).not.toThrow();
  });

  it('mergeDeep - objects merge, arrays and scalars are replaced', () => {
    expect(mergeDeep({ a: { b: 1, c: [1] }, d: 1 }, { a: { c: [2] }, d: 2 })).toEqual({ a: { b: 1, c: [2] }, d: 2 });
  });
});
