/** Two projects: `unit` (pure logic, no servers) and `integration` (real Temporal, PostgreSQL, anvil;
 * started by scripts/test.ts, which passes their URLs in the environment). */
const transform = { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] };
const common = { testEnvironment: 'node', transform, moduleFileExtensions: ['ts', 'js', 'json'] };

module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '\\.it\\.test\\.ts$'],
    },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/**/*.it.test.ts'], testTimeout: 180000, slowTestThreshold: 60 },
  ],
};
