import {
	FAILURE_STATUSES,
	isFailureStatus,
	isSuccessStatus,
	isTerminalStatus,
	RUNNING_STATUSES,
	SUCCESS_STATUS,
	TERMINAL_STATUSES,
	TRIGGER_STATUSES,
} from '../../../nodes/EverGis/model/statuses';

// scheduler/index.md names seven statuses; newer servers add Error, Interrupted and Unknown.

describe('statuses', () => {
	test('the lists are the documented ones', () => {
		expect([...RUNNING_STATUSES]).toEqual(['Scheduled', 'Planning', 'Executing']);
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

	test.each(FAILURE_STATUSES.map((status) => [status]))('%s is a terminal failure', (status) => {
		expect(isTerminalStatus(status)).toBe(true);
		expect(isFailureStatus(status)).toBe(true);
		expect(isSuccessStatus(status)).toBe(false);
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

	test('the trigger offers every terminal status but Unknown', () => {
		expect([...TRIGGER_STATUSES].sort()).toEqual(
			TERMINAL_STATUSES.filter((status) => status !== 'Unknown').sort(),
		);
		for (const status of TRIGGER_STATUSES) expect(isTerminalStatus(status)).toBe(true);
	});
});
