/**
 * Tests that drive a real n8n (test/real-n8n/): slow, one at a time, not part of `npm test`.
 * @type {import('jest').Config}
 */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test/real-n8n'],
	testMatch: ['**/*.test.ts'],
	transform: {
		'^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }],
	},
	// A fresh machine installs n8n first (about 5 minutes); each test starts n8n processes.
	testTimeout: 30 * 60_000,
	maxWorkers: 1,
};
