/** Shared jest settings: TypeScript through SWC, `@x0/*` imports mapped to library sources. */
const path = require('node:path');
const { pathsToModuleNameMapper } = require('./tools/jest/paths');

/**
 * @kubernetes/client-node 1.x (and a few of its dependencies) ship only ES modules; jest runs
 * CommonJS, so those packages are compiled by SWC like our own sources (in every project: the
 * executors load the client, and execute loads the executors).
 */
const ESM_PACKAGES = ['@kubernetes/client-node', 'openid-client', 'oauth4webapi', 'jose', 'jsonpath-plus', 'rfc4648'];

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
    '^.+\\.m?js$': ['@swc/jest', { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_PACKAGES.map((p) => p.replace('/', '\\/')).join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: pathsToModuleNameMapper(path.join(__dirname)),
};
