module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'executors',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.int.ts'],
};
