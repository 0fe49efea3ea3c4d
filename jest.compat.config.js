/**
 * The compatibility suite (test/compat/): the packed package in several n8n releases
 * (test/compat/releases.json) against the local EverGIS sandbox. `npm run test:compat`
 * (EVERGIS_COMPAT_VERSIONS=all for every release); not part of `npm test`.
 * @type {import('jest').Config}
 */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test/compat'],
	testMatch: ['**/*.test.ts'],
	transform: {
		'^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }],
	},
	// One test per release: on a fresh machine it installs that n8n first (4 to 8 minutes), then
	// waits for the trigger's one-minute poll. Each step has a timeout of its own, well below this.
	testTimeout: 45 * 60_000,
	maxWorkers: 1,
};
