export * from './knowledge-base';
export { loadRunbookDirectory } from './runbook-directory';
