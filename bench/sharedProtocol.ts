// Messages between bench/sharedServer.ts (parent) and bench/sharedChild.ts: one execution of
// Raster → Upload to Catalog per child, several children started together against one sandbox.

/**
 * Changes made to the node's code in the bench child only (never in shipped code), to measure the
 * baselines the issue asks for beside the shipped behaviour.
 */
export interface NodePatch {
	/**
	 * Holds the request limit at this many requests in flight: REQUEST_LIMIT.initial and .ceiling
	 * set to it and RequestLimit's learning a no-op. Left out: the shipped adaptive limit.
	 */
	fixedLimit?: number;
	/** Today's fixed poll interval: POLL_BACKOFF.fractionOfAge = 0 (no back-off with the task's age). */
	fixedPoll?: boolean;
	/** Diagnostics: other values for the node's constants (RETRY, REQUEST_LIMIT), this child only. */
	retry?: Record<string, number>;
	limit?: Record<string, number>;
	/** Diagnostics: the wait loop's progress requests retried (busy answers too) instead of one attempt. */
	progressRetries?: boolean;
	/** Diagnostics: record the request limit after each answer and every retry (see ExecResult.trace). */
	trace?: boolean;
}

export interface ExecScenario {
	url: string;
	/** One item per entry: the file to read into its binary property `data`, or null for none. */
	files: Array<string | null>;
	/** Seconds; left out: the node's default (5 s). */
	pollInterval?: number;
	patch: NodePatch;
}

export interface ExecResult {
	/** Date.now() when the node's execute() started and ended (the same clock as the sandbox's). */
	startedAt: number;
	endedAt: number;
	/** performance.now() duration of execute(). */
	nodeMs: number;
	items: number;
	/** Output items by their `status` (or 'error' for error items). */
	statuses: Record<string, number>;
	/** The taskId of each output item that has one. */
	taskIds: string[];
	error?: string;
	errorDescription?: string;
	trace?: {
		/** [ms since the node's start, the limit's window after an answer] */
		windows: Array<[number, number]>;
		/** [ms since the node's start, attempt, delay before the next, HTTP status] */
		retries: Array<[number, number, number, number | undefined]>;
	};
}

export type ToSharedChild = { type: 'run'; scenario: ExecScenario } | { type: 'go' };

export type FromSharedChild =
	{ type: 'ready' } | { type: 'result'; result: ExecResult } | { type: 'failed'; message: string };
