export { selectBackend, type TfBackendName } from './backend';
export {
  DEFAULT_ALPHA,
  DEFAULT_RANK,
  isLoRADense,
  LoRADense,
  loraDense,
  type ActivationName,
  type LoRADenseArgs,
  type MergedDenseWeights,
} from './lora-dense';
export { applyLoRA, countParams, isLowRankFor, loraLayers, mergeAdapter, type ApplyLoRAOptions, type ParamCounts } from './model-surgery';
export { baseModelSignature } from './signature';
export {
  ADAPTER_FORMAT,
  extractAdapter,
  loadAdapter,
  mergedAdapterModel,
  LoRAAdapter,
  readAdapter,
  saveAdapter,
  type AdapterLayer,
} from './adapter';
export { fileIO } from './file-io';
export { fineTune, type FineTuneOptions, type FineTuneResult, type LossFn } from './fine-tune';
