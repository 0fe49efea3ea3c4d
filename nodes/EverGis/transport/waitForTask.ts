import { pollDelayMs } from '../model/pollSchedule';
import { hasEnded, UNKNOWN_GRACE, UNKNOWN_STATUS } from '../model/statuses';
import type { TaskProgress } from '../model/task';
import { operationError } from '../shared/nodeErrors';
import { pause } from '../shared/pause';
import { failureOf, isTransientError } from './errors';
import type { EverGisRun } from './run';
import { getTaskProgress, shownId } from './tasks';

/** How long the last progress request, sent at the wait's Timeout, may take to answer. */
const LAST_ANSWER_MS = 1_000;

export interface WaitRequest {
	taskId: string;
	timeoutMs: number;
	pollIntervalMs: number;
	itemIndex?: number;
	/** When the task was submitted (or the wait for it began): its age sets how often it is asked. */
	since?: number;
}

/**
 * How a wait ended: the task reached a terminal status (or said Unknown for longer than its
 * grace: model/statuses.ts); or the wait failed (it timed out, the
 * execution was canceled, the task could not be read for good); or, with neither, the run stopped
 * because another item failed, and this task has nothing to say.
 */
export type WaitOutcome =
	| { ended: true; progress: TaskProgress }
	| { ended: false; error?: Error; lastProgress?: TaskProgress };

/**
 * Waits until one task has ended: Databricks' plain submit-then-poll loop. The task is asked for
 * its progress after the Poll Interval, then after a pause that grows with its age
 * (model/pollSchedule.ts), until it reaches a terminal status or its Timeout runs out (it is asked
 * once more at the deadline, never given up on unasked). A progress request that fails for a
 * passing reason (busy, 5xx, a reset) is simply asked again next time. A task that says Unknown is
 * waited for until it has said so for UNKNOWN_GRACE from the first answer that did (it is asked
 * again then at the latest). Its requests go within the run's request limit, after the items' own
 * (uploads, task creation). Every task of an execution waits in its own call of this, all at once;
 * the run's signal ends them all (fail fast, cancel).
 */
export async function waitForTask(run: EverGisRun, request: WaitRequest): Promise<WaitOutcome> {
	const { taskId, itemIndex, pollIntervalMs } = request;
	const since = request.since ?? Date.now();
	const deadline = since + request.timeoutMs;
	let nextAskAt = since + pollIntervalMs;
	let last: TaskProgress | undefined;
	let lastError: Error | undefined;
	/** When the task began saying Unknown, without another status since. */
	let unknownSince: number | undefined;
	for (;;) {
		try {
			await pause(Math.max(0, Math.min(nextAskAt, deadline) - Date.now()), run.signal);
		} catch {
			return stopped(run, request, last);
		}
		try {
			const progress = await getTaskProgress(run, taskId, {
				itemIndex,
				maxAttempts: 1,
				background: true,
				// Its turn may come late (the run's other requests go first): it gives up waiting at the
				// Timeout, and the ask at the Timeout itself has a second for its answer.
				deadline: deadline + LAST_ANSWER_MS,
			});
			last = progress;
			lastError = undefined;
			unknownSince = progress.status === UNKNOWN_STATUS ? (unknownSince ?? Date.now()) : undefined;
			if (hasEnded(progress.status, unknownSince)) return { ended: true, progress };
		} catch (error) {
			if (run.signal.aborted) return stopped(run, request, last);
			if (failureOf(error)?.deadlinePassed) {
				return { ended: false, error: timedOut(run, request, last, lastError), lastProgress: last };
			}
			if (!isTransientError(error))
				return { ended: false, error: error as Error, lastProgress: last };
			lastError = error as Error;
		}
		const now = Date.now();
		if (now >= deadline) {
			return { ended: false, error: timedOut(run, request, last, lastError), lastProgress: last };
		}
		nextAskAt = Math.min(
			deadline,
			now + pollDelayMs(now - since, pollIntervalMs),
			unknownSince === undefined ? Infinity : unknownSince + UNKNOWN_GRACE.ms,
		);
	}
}

function stopped(run: EverGisRun, request: WaitRequest, last?: TaskProgress): WaitOutcome {
	if (run.stopReason !== 'canceled') return { ended: false, lastProgress: last };
	const { taskId, itemIndex } = request;
	const error = operationError(
		run.context.getNode(),
		`Stopped waiting for task ${shownId(taskId)}: the execution was canceled`,
		{
			itemIndex,
			description: `The task keeps running on EverGIS; cancel it with Task → Cancel, ID ${taskId}, if it is not wanted.`,
		},
	);
	return { ended: false, error, lastProgress: last };
}

function timedOut(
	run: EverGisRun,
	request: WaitRequest,
	last: TaskProgress | undefined,
	lastError: Error | undefined,
): Error {
	const { taskId, timeoutMs, itemIndex } = request;
	const status = last ? `last status: ${last.status}` : 'no status received';
	const failing = lastError ? `; the last progress request failed: ${lastError.message}` : '';
	return operationError(
		run.context.getNode(),
		`Task ${shownId(taskId)} did not finish within ${Math.round(timeoutMs / 1000)} s (${status}${failing})`,
		{
			itemIndex,
			description:
				`The task may still be running on EverGIS. Raise Timeout in the options, or turn off Wait for Completion ` +
				`and look the task up later with Task → Get Status, ID ${taskId}.`,
		},
	);
}
