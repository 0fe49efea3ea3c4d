/**
 * The statuses of EverGIS scheduler tasks, in one place. Every caller (the wait loop, the
 * trigger, the output of each operation) decides "still running?" and "did it succeed?" here.
 * Sources: docs/evergis-api.md (scheduler/index.md:17-23; the spec's RemoteTaskStatus).
 */

/**
 * Running statuses: the docs' three, and the spec's Init, Process, Waiting and InQueue. A status
 * that is not known at all also counts as running.
 */
export const RUNNING_STATUSES = [
	'Scheduled',
	'Planning',
	'Executing',
	'Init',
	'Process',
	'Waiting',
	'InQueue',
] as const;

export const SUCCESS_STATUS = 'Completed';

/**
 * The spec's `Unknown`. EverGIS's Python SDK counts it as an end but not a failure, and reports it
 * itself while a task has no subtasks yet (it has not started): a task may say it for a moment. So
 * it is not an end when first seen: only a task that keeps saying it for UNKNOWN_GRACE.ms, from the
 * first answer that said it (the wait's or the trigger's), has ended Unknown, and that counts as a
 * failure (EverGIS never said the task completed).
 */
export const UNKNOWN_STATUS = 'Unknown';

/**
 * How long a task may say Unknown before it counts as ended: 10 minutes, twice the longest pause
 * between two progress requests of a wait (model/pollSchedule.ts), so that a passing Unknown is
 * asked again at least once. An object so that tests can shorten it.
 */
export const UNKNOWN_GRACE = { ms: 10 * 60_000 };

/** Terminal failures: the docs' three; the spec's Error and Interrupted; Unknown past its grace. */
export const FAILURE_STATUSES = [
	'Failed',
	'Canceled',
	'Timeout',
	'Error',
	'Interrupted',
	UNKNOWN_STATUS,
] as const;

export const TERMINAL_STATUSES = [SUCCESS_STATUS, ...FAILURE_STATUSES] as const;

export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];

/** What the trigger can fire on: every end, Unknown (past its grace) included. */
export const TRIGGER_STATUSES: readonly TerminalStatus[] = [
	'Completed',
	'Failed',
	'Canceled',
	'Timeout',
	'Error',
	'Interrupted',
	UNKNOWN_STATUS,
];

const terminal = new Set<string>(TERMINAL_STATUSES);
const failure = new Set<string>(FAILURE_STATUSES);

/** Whether a task that says this status has ended, at first sight (Unknown: not yet). */
export function isTerminalStatus(status: unknown): status is TerminalStatus {
	return typeof status === 'string' && status !== UNKNOWN_STATUS && terminal.has(status);
}

/**
 * Whether a task has ended, given since when it has been saying Unknown (ms since the epoch; for
 * any other status it is not looked at).
 */
export function hasEnded(status: unknown, unknownSince?: number, now = Date.now()): boolean {
	if (status === UNKNOWN_STATUS) {
		return unknownSince !== undefined && now - unknownSince >= UNKNOWN_GRACE.ms;
	}
	return isTerminalStatus(status);
}

/** Whether an end in this status is a failure (Unknown too, once it has ended). */
export function isFailureStatus(status: unknown): boolean {
	return typeof status === 'string' && failure.has(status);
}

export function isSuccessStatus(status: unknown): boolean {
	return status === SUCCESS_STATUS;
}
