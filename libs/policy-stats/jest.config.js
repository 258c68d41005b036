module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'policy-stats',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.int.ts'],
};
