export * from './generated/descriptor-set';
