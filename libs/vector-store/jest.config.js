module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'vector-store',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.int.ts'],
};
