export * from './errors';
export * from './ids';
export * from './latency-window';
export * from './lru-map';
export * from './random';
export * from './durations';
