module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'action-params',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.int.ts'],
};
