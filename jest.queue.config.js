/**
 * The queue-mode suite (test/queue/): the packed package in a real n8n 2.40.7 in queue mode
 * (PostgreSQL, Redis, a main and two workers) against the local EverGIS sandbox.
 * `npm run test:queue`; not part of `npm test`.
 * @type {import('jest').Config}
 */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test/queue'],
	testMatch: ['**/*.test.ts'],
	transform: {
		'^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }],
	},
	// A fresh machine installs n8n (about 5 minutes) and PostgreSQL and Redis first; the trigger test
	// waits for n8n's one-minute polls. Each step has a timeout of its own, well below this one.
	testTimeout: 30 * 60_000,
	maxWorkers: 1,
};
