export * from './config';
export * from './logger';
export * from './service-stats';
export * from './grpc-server';
export * from './metrics-server';
export * from './service-host';
export * from './grpc-probes';
