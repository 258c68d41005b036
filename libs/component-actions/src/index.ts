export {
  COMPONENT_ACTIONS_BUCKET,
  ComponentActionsStore,
  parseComponentActions,
  watchBucket,
  type ActionsSource,
  type BucketWatch,
  type ComponentActionsRecord,
} from './component-actions-store';
