export * from './knowledge-base';
export { isFolderRunbook, loadRunbookDirectory } from './runbook-directory';
