module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'model-registry',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.int.ts'],
};
