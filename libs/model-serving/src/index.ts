export { ServedModel, swapLogFields, type ServedModelOptions, type SwapInfo, type Lease } from './served-model';
export { InferenceReporter, type InferenceReporterOptions } from './inference-reporter';
export { adapterModelName, isAdapterModelOf } from './names';
export { DETECTOR_MODEL, forecasterModel, forecasterWeights, type ForecasterWeights } from './forecaster-weights';
export { ComponentAdapters, type ComponentAdaptersOptions } from './component-adapters';
