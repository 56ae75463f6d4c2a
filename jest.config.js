/** One runner for the unit tests beside the code and the end-to-end tests under test/. */
const { pathsToModuleNameMapper } = require('ts-jest');
const { compilerOptions } = require('./tsconfig.json');

// globalSetup runs outside Jest's module registry: let it resolve the @rollcall/* aliases too.
require('tsconfig-paths').register({ baseUrl: __dirname, paths: compilerOptions.paths });

module.exports = {
  rootDir: '.',
  moduleFileExtensions: ['js', 'json', 'ts'],
  testRegex: '.*\\.(spec|e2e-spec)\\.ts$',
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      {
        useESM: true,
        tsconfig: {
          module: 'ES2022',
          moduleResolution: 'bundler',
          isolatedModules: true,
          ignoreDeprecations: '6.0',
        },
      },
    ],
  },
  moduleNameMapper: {
    ...pathsToModuleNameMapper(
      Object.fromEntries(Object.entries(compilerOptions.paths).filter(([k]) => k.startsWith('@rollcall/'))),
      { prefix: '<rootDir>/' },
    ),
    // See the file: Jest on Node 20 cannot require this ES module.
    '^content-disposition$': '<rootDir>/libs/testing/src/content-disposition.cjs',
  },
  testEnvironment: 'node',
  globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
  globalTeardown: '<rootDir>/libs/testing/src/global-teardown.ts',
  testTimeout: 30000,
  maxWorkers: 2,
};
