/**
 * One jest config for every layer (test/unit, test/integration, test/infra, test/e2e).
 * @swc/jest compiles TypeScript to CommonJS; middy and jose (local token verification) ship ESM only,
 * so they are transformed too, middy mapped to its entry file (DESIGN.md §8).
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(@middy|jose)/)'],
  moduleNameMapper: {
    '^@middy/core$': '<rootDir>/node_modules/@middy/core/index.js',
  },
  testTimeout: 30000,
  maxWorkers: 2,
};
