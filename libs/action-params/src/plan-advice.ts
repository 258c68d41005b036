import { severityFromProto, severityRank, type Plan } from '@x0/contracts';
import { hasParams, specOf } from './action-space';
import type { ActionParamsAdvisor } from './advisor';

/** Params execute adds to an advised action (kept in the ActionResult, read back by the trainer). */
export const ADVISED_BY_PARAM = 'advised_by';
export const ADVISED_PROBABILITY_PARAM = 'advised_probability';
/** The policy's own value, kept when the advisor changed it. */
export const POLICY_VALUE_PREFIX = 'policy_';

/** Records one advisor call (an InferenceReporter). */
export interface AdviceRecorder {
  record(model: string, version: string, latencyMs: number, ok?: boolean): void;
}

/**
 * The plan with its action parameter set by the advisor: for a parametrised action
 * (`scale_up.delta`, `throttle.rate_percent`) the advisor's value replaces the policy's (kept
 * as `policy_<param>`), and `advised_by` (`action-params@<base>[+<component>@<adapter>]`) and
 * `advised_probability` are added, so the ActionResult records what decided and the trainer
 * can score the prediction against the outcome. Any other plan, or no model loaded yet, comes
 * back unchanged. A failing advisor never stops the action: the policy's params stand.
 */
export function advisePlan(advisor: ActionParamsAdvisor, plan: Plan, recorder?: AdviceRecorder): Plan {
  if (!hasParams(plan.action) || !plan.meta) return plan;
  const component = plan.meta.component;
  const incident = plan.incident;
  const started = performance.now();
  let advice;
  try {
    advice = advisor.suggest(component, plan.action, {
      score: Math.min(1, Math.max(0, incident?.score ?? 0)),
      severity: severityRank(severityFromProto(incident?.severity ?? 0)),
    });
  } catch (err) {
    recorder?.record('action-params', '', performance.now() - started, false);
    void err;
    return plan;
  }
  if (!advice) return plan;
  recorder?.record(advice.model, advice.version, performance.now() - started, true);
  const param = specOf(plan.action).param;
  const params: Record<string, string> = { ...plan.params, ...advice.params };
  const policyValue = plan.params[param];
  if (policyValue !== undefined && policyValue !== advice.params[param]) params[`${POLICY_VALUE_PREFIX}${param}`] = policyValue;
  params[ADVISED_BY_PARAM] = `${advice.model}@${advice.version}${advice.adapterVersion ? `+${component}@${advice.adapterVersion}` : ''}`;
  params[ADVISED_PROBABILITY_PARAM] = advice.probability.toFixed(3);
  return { ...plan, params };
}
