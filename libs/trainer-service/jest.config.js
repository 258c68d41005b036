module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'trainer-service',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.int.ts'],
};
