import {
	FAILURE_STATUSES,
	hasEnded,
	isFailureStatus,
	isSuccessStatus,
	isTerminalStatus,
	RUNNING_STATUSES,
	SUCCESS_STATUS,
	TERMINAL_STATUSES,
	TRIGGER_STATUSES,
	UNKNOWN_GRACE,
} from '../../../nodes/EverGis/model/statuses';

// scheduler/index.md names seven statuses; the spec's RemoteTaskStatus adds Init, Process, Waiting,
// InQueue (running), Error, Interrupted (failures) and Unknown (an end only after its grace).

describe('statuses', () => {
	test('the lists are the documented ones', () => {
		expect([...RUNNING_STATUSES]).toEqual([
			'Scheduled',
			'Planning',
			'Executing',
			'Init',
			'Process',
			'Waiting',
			'InQueue',
		]);
		expect(SUCCESS_STATUS).toBe('Completed');
		expect([...FAILURE_STATUSES].sort()).toEqual(
			['Canceled', 'Error', 'Failed', 'Interrupted', 'Timeout', 'Unknown'].sort(),
		);
		expect([...TERMINAL_STATUSES].sort()).toEqual([SUCCESS_STATUS, ...FAILURE_STATUSES].sort());
	});

	test.each(RUNNING_STATUSES.map((status) => [status]))('%s is running', (status) => {
		expect(isTerminalStatus(status)).toBe(false);
		expect(isSuccessStatus(status)).toBe(false);
		expect(isFailureStatus(status)).toBe(false);
	});

	test('Completed is terminal and the only success', () => {
		expect(isTerminalStatus('Completed')).toBe(true);
		expect(isSuccessStatus('Completed')).toBe(true);
		expect(isFailureStatus('Completed')).toBe(false);
	});

	test.each(FAILURE_STATUSES.filter((status) => status !== 'Unknown').map((status) => [status]))(
		'%s is a terminal failure',
		(status) => {
			expect(isTerminalStatus(status)).toBe(true);
			expect(hasEnded(status)).toBe(true);
			expect(isFailureStatus(status)).toBe(true);
			expect(isSuccessStatus(status)).toBe(false);
		},
	);

	// Red before: Unknown was a terminal failure on first sight (a passing Unknown failed the item).
	test('Unknown is not an end at first sight, only once it has lasted its grace (10 minutes)', () => {
		expect(UNKNOWN_GRACE.ms).toBe(600_000);
		const since = Date.parse('2026-12-01T10:00:00Z');
		expect(isTerminalStatus('Unknown')).toBe(false);
		expect(hasEnded('Unknown')).toBe(false);
		expect(hasEnded('Unknown', since, since)).toBe(false);
		expect(hasEnded('Unknown', since, since + 599_999)).toBe(false);
		expect(hasEnded('Unknown', since, since + 600_000)).toBe(true);
		// Once ended, it is a failure: EverGIS never said the task completed.
		expect(isFailureStatus('Unknown')).toBe(true);
		expect(hasEnded('Executing', since, since + 3_600_000)).toBe(false);
	});

	test.each([['Paused'], ['SomethingNew'], [''], ['completed'], ['FAILED'], [' Completed']])(
		'an unknown status (%p) counts as still running',
		(status) => {
			expect(isTerminalStatus(status)).toBe(false);
			expect(isFailureStatus(status)).toBe(false);
			expect(isSuccessStatus(status)).toBe(false);
		},
	);

	test.each([[undefined], [null], [0], [{}], [['Completed']]])(
		'a non-string (%p) is neither terminal, success nor failure',
		(status) => {
			expect(isTerminalStatus(status)).toBe(false);
			expect(isFailureStatus(status)).toBe(false);
			expect(isSuccessStatus(status)).toBe(false);
		},
	);

	test('the trigger offers every end, Unknown (past its grace) included', () => {
		expect([...TRIGGER_STATUSES].sort()).toEqual([...TERMINAL_STATUSES].sort());
	});
});
