export * from './connection';
export * from './streams';
export * from './publisher';
export * from './dead-letter';
export * from './consumer-loop';
export * from './partition';
export * from './nats-server';
export * from './key-value';
