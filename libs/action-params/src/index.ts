export {
  ACTION_PARAMS,
  PARAM_ACTIONS,
  FEATURE_DIM,
  encodeFeatures,
  gridOf,
  gridWithin,
  hasParams,
  specOf,
  strengthOf,
  valueOf,
  type IncidentFeatures,
  type ParamBounds,
  type ParamSpec,
} from './action-space';
export { DenseForward } from './dense-forward';
export { ACTION_PARAMS_MODEL, HIDDEN_UNITS, createBaseModel, predictRecovery, suggestFrom, type Suggestion, type SuggestOptions } from './action-params-model';
export { trajectoriesFromEvents, trainingRows, type Trajectory } from './trajectories';
export { fitModel, fineTuneAdapter, evaluate, ACTION_PARAMS_ADAPTER, type FitOptions, type AdapterOptions, type Evaluation } from './training';
export { ActionParamsModels, type ActionParamsAdvisor, type AdvisedParams } from './advisor';
export { loadShippedBase, shippedBaseArtifacts, SHIPPED_BASE_VERSION, type ShippedArtifacts } from './shipped-model';
export { priorComponents, recovers, seededRandom, simulateTrajectories, type SyntheticComponent } from './synthetic';
export { RegistryActionParamsAdvisor, type RegistryAdvisorOptions } from './registry-advisor';
export { advisePlan, ADVISED_BY_PARAM, ADVISED_PROBABILITY_PARAM, ADVISED_RANGE_PARAM, POLICY_VALUE_PREFIX, type AdviceRecorder } from './plan-advice';
