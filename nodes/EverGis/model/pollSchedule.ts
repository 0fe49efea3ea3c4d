/**
 * How often a task is asked for its progress while the node waits for it. A task that has run for
 * an hour does not need to be asked every 5 seconds: the pause between two requests grows with the
 * task's age (an eighth of it), from the node's Poll Interval up to five minutes (or the Poll
 * Interval, if that is longer). A task is then seen ended at most an eighth of its run time (or one
 * Poll Interval) late, and a 30-minute task costs about 40 progress requests instead of 360.
 */
export const POLL_BACKOFF = {
	fractionOfAge: 1 / 8,
	ceilingMs: 300_000,
};

/** The pause before the next progress request of a task that has been running for `ageMs`. */
export function pollDelayMs(ageMs: number, pollIntervalMs: number): number {
	const ceiling = Math.max(pollIntervalMs, POLL_BACKOFF.ceilingMs);
	return Math.min(ceiling, Math.max(pollIntervalMs, ageMs * POLL_BACKOFF.fractionOfAge));
}
