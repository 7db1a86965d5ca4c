// ESM all the way: execa and p-limit ship only ESM, so jest runs with
// --experimental-vm-modules and ts-jest compiles the TypeScript as ESM.
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tests/tsconfig.json' }],
  },
  testTimeout: 60000,
  globalSetup: '<rootDir>/tests/global-setup.ts',
};
