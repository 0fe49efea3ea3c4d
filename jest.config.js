/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test'],
	testMatch: ['**/*.test.ts'],
	// The end-to-end, queue-mode, compatibility and real-n8n harness suites run a real n8n; they have
	// their own commands.
	testPathIgnorePatterns: [
		'/node_modules/',
		'<rootDir>/test/compat/',
		'<rootDir>/test/e2e/',
		'<rootDir>/test/queue/',
		'<rootDir>/test/real-n8n/',
	],
	transform: {
		// Type checking is done once by `npm run typecheck`; jest only transpiles.
		'^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }],
	},
	testTimeout: 60_000,
	maxWorkers: 2,
};
