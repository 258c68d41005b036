export { createModelRegistry, ModelRegistry, type AliasMoveOptions, type ArtifactSource, type ModelRegistryOptions, type RegisterInput } from './model-registry';
export { objectStoreIO, type ObjectStoreIOHandler } from './object-store-io';
export type { AliasedModelsWatch, AliasWatch, WatchAliasOptions } from './alias-watch';
export { HISTORY_LIMIT, whoAndWhy } from './alias-state';
export { aliasHistoryRows, readAliasHistory, type AliasHistoryRow } from './alias-history';
export { registeredEvent, aliasChangedEvent } from './model-events';
export type {
  AliasChange,
  AliasHistoryEntry,
  AliasState,
  ModelEventType,
  ModelLineage,
  ModelSignature,
  ModelVersionRecord,
  ModelVersionView,
} from './types';
