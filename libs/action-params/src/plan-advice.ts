import { severityFromProto, severityRank, type Plan } from '@x0/contracts';
import { gridOf, gridWithin, hasParams, specOf, type ParamBounds } from './action-space';
import type { ActionParamsAdvisor } from './advisor';

/** Params execute adds to an advised action (kept in the ActionResult, read back by the trainer). */
export const ADVISED_BY_PARAM = 'advised_by';
export const ADVISED_PROBABILITY_PARAM = 'advised_probability';
/** The values the advisor chose from when the executor's bounds narrowed them (`1..2`). */
export const ADVISED_RANGE_PARAM = 'advised_range';
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
 *
 * `limits` are the bounds the plan's executor puts on parameters, by name (a Kubernetes
 * executor's `max_step` on `delta`): the advisor picks within them (recorded as
 * `advised_range`, `1..2`) and keeps the policy's value when none of its values fits.
 */
export function advisePlan(advisor: ActionParamsAdvisor, plan: Plan, recorder?: AdviceRecorder, limits?: Readonly<Record<string, ParamBounds>>): Plan {
  if (!hasParams(plan.action) || !plan.meta) return plan;
  const component = plan.meta.component;
  const incident = plan.incident;
  const param = specOf(plan.action).param;
  const bounds = limits?.[param];
  const started = performance.now();
  let advice;
  try {
    advice = advisor.suggest(
      component,
      plan.action,
      {
        score: Math.min(1, Math.max(0, incident?.score ?? 0)),
        severity: severityRank(severityFromProto(incident?.severity ?? 0)),
      },
      bounds,
    );
  } catch (err) {
    recorder?.record('action-params', '', performance.now() - started, false);
    void err;
    return plan;
  }
  if (!advice) return plan;
  recorder?.record(advice.model, advice.version, performance.now() - started, true);
  const params: Record<string, string> = { ...plan.params, ...advice.params };
  const policyValue = plan.params[param];
  if (policyValue !== undefined && policyValue !== advice.params[param]) params[`${POLICY_VALUE_PREFIX}${param}`] = policyValue;
  params[ADVISED_BY_PARAM] = `${advice.model}@${advice.version}${advice.adapterVersion ? `+${component}@${advice.adapterVersion}` : ''}`;
  params[ADVISED_PROBABILITY_PARAM] = advice.probability.toFixed(3);
  const within = gridWithin(plan.action, bounds);
  if (within.length < gridOf(plan.action).length) params[ADVISED_RANGE_PARAM] = `${Math.min(...within)}..${Math.max(...within)}`;
  return { ...plan, params };
}
