/**
 * The end-to-end suite (test/e2e/): the packed package in a real n8n 2.40.7 against the local
 * EverGIS sandbox, an SMTP sink and headless Chromium. `npm run test:e2e`; not part of `npm test`.
 * @type {import('jest').Config}
 */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test/e2e'],
	testMatch: ['**/*.test.ts'],
	transform: {
		'^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }],
	},
	// A fresh machine installs n8n (about 5 minutes) and Chromium first; the trigger test waits for
	// n8n's one-minute polls. Each step has a timeout of its own, well below this one.
	testTimeout: 30 * 60_000,
	maxWorkers: 1,
};
