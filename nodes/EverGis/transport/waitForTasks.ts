import { pollDelayMs } from '../model/pollSchedule';
import { isTerminalStatus } from '../model/statuses';
import type { TaskProgress } from '../model/task';
import { operationError } from '../shared/nodeErrors';
import { cancelSignalOf, pause } from '../shared/pause';
import { isTransientError } from './errors';
import type { EverGisFunctions } from './execution';
import { requestsOf } from './execution';
import { getTaskProgress } from './tasks';

export interface WaitRequest {
	taskId: string;
	timeoutMs: number;
	pollIntervalMs: number;
	itemIndex?: number;
	/** When the task was submitted (or the wait for it began): its age sets how often it is asked. */
	since?: number;
}

export type WaitOutcome =
	{ ok: true; progress: TaskProgress } | { ok: false; error: Error; lastProgress?: TaskProgress };

/** What the caller answers to each ended task: 'stop' ends the whole wait at once (fail fast). */
export type OnTaskEnd = (index: number, outcome: WaitOutcome) => 'stop' | undefined;

interface Watched {
	request: WaitRequest;
	index: number;
	since: number;
	deadline: number;
	nextPollAt: number;
	asking: boolean;
	/** Asked at least once: a task is never given up on before it was asked. */
	asked: boolean;
	ended: boolean;
	last?: TaskProgress;
	lastError?: Error;
}

/** How often the loop looks for tasks whose next request is due (no request is made by looking). */
const LOOK_EVERY_MS = 200;

/** The wait for an execution's tasks, which join it as their items submit them. */
export interface TaskWait {
	/** Starts waiting for one more task; `onTaskEnd` will name it by the number returned. */
	add(request: WaitRequest): number;
	/** No task will join any more: `finished` settles once those joined have ended. */
	close(): void;
	finished: Promise<void>;
}

/**
 * Waits until every task has ended, timed out, or the caller says stop. One plain loop: each turn
 * it asks every task whose time has come for its progress, then sleeps a moment. Tasks join while
 * the other items are still being uploaded, so an early task is seen ended while the batch is still
 * being submitted. The requests go out within the execution's request limit, so a thousand tasks
 * do not mean a thousand requests at once. A task is asked again after a pause that grows with its
 * age (model/pollSchedule.ts). A request that fails for a passing reason (busy, 5xx, a reset) is
 * simply asked again next time, until the task's own timeout. Each ended task is handed to
 * `onTaskEnd` as soon as it is seen. When the execution stops (canceled, or failing fast), the
 * loop ends and tasks that join later are not waited for.
 */
export function waitForTasks(context: EverGisFunctions, onTaskEnd: OnTaskEnd): TaskWait {
	const tasks: Watched[] = [];
	let open = 0;
	let closed = false;
	let stopped = false;
	const end = (task: Watched, outcome: WaitOutcome) => {
		if (task.ended || stopped) return;
		task.ended = true;
		open--;
		if (onTaskEnd(task.index, outcome) === 'stop') stopped = true;
	};
	const { stopSignal } = requestsOf(context);

	const loop = async () => {
		while ((open > 0 || !closed) && !stopped) {
			if (stopSignal.aborted) {
				if (cancelSignalOf(context)?.aborted) {
					for (const task of tasks) end(task, { ok: false, error: canceled(context, task) });
				}
				return;
			}
			const now = Date.now();
			for (const task of tasks) {
				if (task.ended || task.asking) continue;
				if (task.deadline <= now && task.asked) {
					end(task, { ok: false, error: timedOut(context, task), lastProgress: task.last });
				} else if (task.nextPollAt <= now || task.deadline <= now) {
					task.asking = true;
					task.asked = true;
					void ask(context, task, end).finally(() => (task.asking = false));
				}
			}
			try {
				await pause(LOOK_EVERY_MS, stopSignal);
			} catch {
				// canceled or stopped: the next turn sees it
			}
		}
	};
	let running: Promise<void> | undefined;
	return {
		add: (request) => {
			const since = request.since ?? Date.now();
			const index = tasks.length;
			tasks.push({
				request,
				index,
				since,
				deadline: since + request.timeoutMs,
				nextPollAt: since + request.pollIntervalMs,
				asking: false,
				asked: false,
				ended: false,
			});
			open++;
			running ??= loop();
			return index;
		},
		close: () => {
			closed = true;
		},
		get finished() {
			return running ?? Promise.resolve();
		},
	};
}

async function ask(
	context: EverGisFunctions,
	task: Watched,
	end: (task: Watched, outcome: WaitOutcome) => void,
): Promise<void> {
	const { taskId, itemIndex, pollIntervalMs } = task.request;
	try {
		const progress = await getTaskProgress.call(context, taskId, {
			itemIndex,
			maxAttempts: 1,
			background: true,
			timeoutMs: Math.min(60_000, Math.max(1_000, task.deadline - Date.now())),
		});
		task.last = progress;
		task.lastError = undefined;
		if (isTerminalStatus(progress.status)) return end(task, { ok: true, progress });
	} catch (error) {
		if (!isTransientError(error)) {
			return end(task, { ok: false, error: error as Error, lastProgress: task.last });
		}
		task.lastError = error as Error;
	}
	const now = Date.now();
	task.nextPollAt = Math.min(task.deadline, now + pollDelayMs(now - task.since, pollIntervalMs));
}

function timedOut(context: EverGisFunctions, task: Watched): Error {
	const { taskId, timeoutMs, itemIndex } = task.request;
	const last = task.last ? `last status: ${task.last.status}` : 'no status received';
	const failing = task.lastError
		? `; the last progress request failed: ${task.lastError.message}`
		: '';
	return operationError(
		context.getNode(),
		`Task ${taskId} did not finish within ${Math.round(timeoutMs / 1000)} s (${last}${failing})`,
		{
			itemIndex,
			description:
				`The task may still be running on EverGIS. Raise Timeout in the options, or turn off Wait for Completion ` +
				`and look the task up later with Task → Get Status, ID ${taskId}.`,
		},
	);
}

function canceled(context: EverGisFunctions, task: Watched): Error {
	const { taskId, itemIndex } = task.request;
	return operationError(
		context.getNode(),
		`Stopped waiting for task ${taskId}: the execution was canceled`,
		{
			itemIndex,
			description: `The task keeps running on EverGIS; cancel it with Task → Cancel, ID ${taskId}, if it is not wanted.`,
		},
	);
}
