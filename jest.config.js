/** @type {import('jest').Config} */

// The suite runs on the machine's Node 20 on purpose (the Lambda bundles are tested on Node 24,
// see test/support/node24.ts, and the README says Node >= 22 is needed from January 2027), so the
// AWS SDK's Node-version notice would only repeat that once per worker and subprocess.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const transform = {
  // Type-checking is done once by `tsc --noEmit`; jest only needs to strip types. tsconfig.json
  // sets isolatedModules, which makes ts-jest transpile each file on its own.
  '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  // @middy/core ships only as an ES module, which jest on Node 20 cannot require; it is
  // transpiled to CommonJS here so tests run the real middy-wrapped handlers.
  '^.+/node_modules/@middy/.+\\.js$': [
    'ts-jest',
    {
      diagnostics: false,
      tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022', isolatedModules: true },
    },
  ],
};
// Everything in node_modules is loaded as is, except middy (see above).
const transformIgnorePatterns = ['/node_modules/(?!@middy/)'];

module.exports = {
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
    },
    {
      displayName: 'stack',
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      testMatch: ['<rootDir>/test/stack/**/*.test.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/integration/global-setup.ts',
      globalTeardown: '<rootDir>/test/integration/global-teardown.ts',
    },
    {
      // `npm start` end to end: the local run as a subprocess, driven by Debian's chromium.
      displayName: 'local',
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      testMatch: ['<rootDir>/test/local/**/*.test.ts'],
      globalSetup: '<rootDir>/test/local/global-setup.ts',
    },
    {
      // Long simulations (minutes each) against the integration project's moto server:
      // `npm run test:soak`. `npm test` leaves them out and runs smaller versions of each.
      displayName: 'soak',
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      testMatch: ['<rootDir>/test/soak/**/*.test.ts'],
      globalSetup: '<rootDir>/test/integration/global-setup.ts',
      globalTeardown: '<rootDir>/test/integration/global-teardown.ts',
    },
  ],
  testTimeout: 60000,
  // One worker per core. jest's default leaves one core free, which on a 2-core machine means a
  // single worker; the integration and local-run files spend most of their time waiting on moto,
  // the emulators and subprocesses, so a second worker cuts `npm test` by a quarter.
  maxWorkers: '100%',
};
