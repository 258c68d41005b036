/**
 * Contracts shared by every x0 service: generated protobuf messages and gRPC services
 * (never edited by hand; see proto/ and tools/proto/generate.mjs), subjects, codecs and
 * validation at the edge.
 */
export * from './generated/x0/v1/common.pb';
export * from './generated/x0/v1/events.pb';
export * from './generated/x0/v1/monitor.pb';
export * from './generated/x0/v1/analyze.pb';
export * from './generated/x0/v1/plan.pb';
export * from './generated/x0/v1/execute.pb';
export * from './generated/x0/v1/knowledge.pb';
export * from './generated/x0/v1/trainer.pb';
export { FILE_DESCRIPTOR_SET_BASE64 } from './generated/descriptor-set';
export * from './subjects';
export * from './codecs';
export * from './metric-batch';
export * from './severity';
export * from './causes';
export * from './event-validation';
export * from './incident-id';
