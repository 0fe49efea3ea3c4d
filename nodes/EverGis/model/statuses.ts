/**
 * The statuses of EverGIS scheduler tasks, in one place. Every caller (the wait loop, the
 * trigger, the output of each operation) decides "still running?" and "did it succeed?" here.
 */

/** Running statuses the docs name. A status that is not known at all also counts as running. */
export const RUNNING_STATUSES = ['Scheduled', 'Planning', 'Executing'] as const;

export const SUCCESS_STATUS = 'Completed';

/** Terminal failures: the docs' three, and the newer servers' Error, Interrupted and Unknown. */
export const FAILURE_STATUSES = [
	'Failed',
	'Canceled',
	'Timeout',
	'Error',
	'Interrupted',
	'Unknown',
] as const;

export const TERMINAL_STATUSES = [SUCCESS_STATUS, ...FAILURE_STATUSES] as const;

export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];

/** What the trigger can fire on (Unknown is terminal but not worth a choice of its own). */
export const TRIGGER_STATUSES: readonly TerminalStatus[] = [
	'Completed',
	'Failed',
	'Canceled',
	'Timeout',
	'Error',
	'Interrupted',
];

const terminal = new Set<string>(TERMINAL_STATUSES);
const failure = new Set<string>(FAILURE_STATUSES);

export function isTerminalStatus(status: unknown): status is TerminalStatus {
	return typeof status === 'string' && terminal.has(status);
}

export function isFailureStatus(status: unknown): boolean {
	return typeof status === 'string' && failure.has(status);
}

export function isSuccessStatus(status: unknown): boolean {
	return status === SUCCESS_STATUS;
}
