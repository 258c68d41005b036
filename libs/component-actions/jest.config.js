module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'component-actions',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.int.ts'],
};
