export * from './tally-keys';
export * from './policy-stats-store';
