import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkExplainTtl, loadGuardrailsConfig, mergeDeep } from './plan-config';

/** Guardrail settings whose restore window is 60 s (every part at most that). */
const SHORT_GUARDRAILS = [
  'approval: { timeoutS: 30 }',
  'blastRadius: { inFlightTimeoutS: 30 }',
  'cooldown: { defaultS: 60 }',
  'rateLimit: { component: { windowS: 60 }, global: { windowS: 60 } }',
  'circuitBreaker: { policy: { coolOffS: 30 }, global: { coolOffS: 30 } }',
  'stabilisation: { episodeGapS: 30, minPersistS: 30 }',
  '',
].join('\n');

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

  it('checkExplainTtl - PLAN_EXPLAIN_TTL_S must cover the window the guardrails are rebuilt from at a restart', async () => {
    const c = await loadGuardrailsConfig('');
    // The longest part with the service defaults: 2 × the global breaker's cool-off (900 s).
    expect(() => checkExplainTtl(1799, c)).toThrow(
      "'PLAN_EXPLAIN_TTL_S' must be ≥ 1800, the window of stored plans a restarted plan service rebuilds its guardrails from (its longest part: 2 × circuitBreaker.global.coolOffS 900): a shorter one rebuilds in-flight actions, circuit breakers and flapping components only in part, and a plan waiting for an operator must stay explainable; got 1799",
    );
    expect(() => checkExplainTtl(1800, c)).not.toThrow();
    expect(() => checkExplainTtl(60, c)).toThrow(/^'PLAN_EXPLAIN_TTL_S' must be ≥ 1800, /);
    // Each part can be the longest: the approval and in-flight timeouts (as before), the stabilisation window.
    const slot = await loadGuardrailsConfig(file('slot.yaml', 'approval: { timeoutS: 3600 }\nblastRadius: { inFlightTimeoutS: 600 }\n'));
    expect(() => checkExplainTtl(4199, slot)).toThrow(/^'PLAN_EXPLAIN_TTL_S' must be ≥ 4200, .*\(its longest part: approval\.timeoutS 3600 \+ blastRadius\.inFlightTimeoutS 600\)/);
    expect(() => checkExplainTtl(4200, slot)).not.toThrow();
    const flap = await loadGuardrailsConfig(file('flap.yaml', 'stabilisation: { flapWindowS: 7200 }\n'));
    expect(() => checkExplainTtl(7199, flap)).toThrow(/^'PLAN_EXPLAIN_TTL_S' must be ≥ 7200, .*\(its longest part: stabilisation\.flapWindowS 7200\)/);
    expect(() => checkExplainTtl(7200, flap)).not.toThrow();
    // Every part short: a short TTL is allowed.
    const short = await loadGuardrailsConfig(file('short.yaml', SHORT_GUARDRAILS));
    expect(() => checkExplainTtl(59, short)).toThrow(/^'PLAN_EXPLAIN_TTL_S' must be ≥ 60, /);
    expect(() => checkExplainTtl(60, short)).not.toThrow();
  });

  it('mergeDeep - objects merge, arrays and scalars are replaced', () => {
    expect(mergeDeep({ a: { b: 1, c: [1] }, d: 1 }, { a: { c: [2] }, d: 2 })).toEqual({ a: { b: 1, c: [2] }, d: 2 });
  });
});
