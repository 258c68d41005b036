module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'model-monitor',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.int.ts'],
};
