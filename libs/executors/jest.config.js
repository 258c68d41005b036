/**
 * @kubernetes/client-node 1.x (and a few of its dependencies) ship only ES modules; jest
 * runs CommonJS, so those packages are compiled by SWC like our own sources.
 */
const preset = require('../../jest.preset.js');

const ESM_PACKAGES = ['@kubernetes/client-node', 'openid-client', 'oauth4webapi', 'jose', 'jsonpath-plus', 'rfc4648'];
const swc = ['@swc/jest', { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } }];

module.exports = {
  ...preset,
  displayName: 'executors',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.int.ts'],
  transform: { ...preset.transform, '^.+\\.m?js$': swc },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_PACKAGES.map((p) => p.replace('/', '\\/')).join('|')})/)`],
};
