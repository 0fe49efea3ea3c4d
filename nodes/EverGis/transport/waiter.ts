import type { IExecuteFunctions, IPollFunctions } from 'n8n-workflow';

import type { TaskProgress } from '../model/task';
import { isTerminalStatus } from '../model/statuses';
import { operationError } from '../shared/nodeErrors';
import { cancelSignalOf, pause } from '../shared/pause';
import { isTransientError } from './errors';
import { getTaskProgress } from './tasks';

export interface WaitRequest {
	taskId: string;
	timeoutMs: number;
	pollIntervalMs: number;
	itemIndex?: number;
}

export type WaitOutcome =
	{ ok: true; progress: TaskProgress } | { ok: false; error: Error; lastProgress?: TaskProgress };

interface Watched extends WaitRequest {
	deadline: number;
	nextPollAt: number;
	last?: TaskProgress;
	lastError?: Error;
	/** A progress request for it is under way. */
	asking: boolean;
	settle: (outcome: WaitOutcome) => void;
}

/** Progress requests in flight at once, whatever the number of tasks watched. */
export const POLL_CONCURRENCY = 8;

/** How often the loop looks at the clock for a task that became due (no request is made). */
const TICK_MS = 100;

/**
 * The one wait loop. Every task the node waits on joins it, whichever item started it, so a batch
 * of N items takes about as long as its slowest task rather than the sum. Each task is asked for
 * its progress once per poll interval, by a few askers that each take the most overdue task as soon
 * as they are free (so a slow answer holds up one asker, not a whole round). A failed poll (5xx,
 * 429, a reset, a slow answer) is simply asked again at the next interval until the task's own
 * timeout, so a flaky server does not fail a task that finished. The loop stops when nothing is
 * watched and honours the execution's cancel.
 */
export class TaskWaiter {
	private readonly watched = new Map<string, Watched>();
	private running: Promise<void> | undefined;

	constructor(private readonly context: IExecuteFunctions | IPollFunctions) {}

	async wait(request: WaitRequest): Promise<WaitOutcome> {
		return await new Promise<WaitOutcome>((resolve) => {
			const now = Date.now();
			const key = `${request.taskId}#${request.itemIndex ?? ''}#${now}#${Math.random()}`;
			this.watched.set(key, {
				...request,
				deadline: now + request.timeoutMs,
				nextPollAt: now + request.pollIntervalMs,
				asking: false,
				settle: (outcome) => {
					this.watched.delete(key);
					resolve(outcome);
				},
			});
			this.keepRunning();
		});
	}

	private keepRunning(): void {
		if (this.running) return;
		this.running = this.loop().finally(() => {
			this.running = undefined;
			// A task may have joined while the last asker was leaving.
			if (this.watched.size > 0) this.keepRunning();
		});
	}

	/** Stops waiting for everything still watched (the node is failing): each gets `error`. */
	stop(error: (taskId: string, itemIndex?: number) => Error): void {
		for (const task of [...this.watched.values()]) {
			task.settle({
				ok: false,
				error: error(task.taskId, task.itemIndex),
				lastProgress: task.last,
			});
		}
	}

	private get signal(): AbortSignal | undefined {
		return cancelSignalOf(this.context);
	}

	private async loop(): Promise<void> {
		await Promise.all(Array.from({ length: POLL_CONCURRENCY }, async () => await this.asker()));
	}

	private async asker(): Promise<void> {
		while (this.watched.size > 0) {
			if (this.signal?.aborted) {
				for (const task of [...this.watched.values()]) {
					task.settle({ ok: false, error: this.canceled(task) });
				}
				return;
			}
			const task = this.mostOverdue();
			if (!task) {
				try {
					await pause(TICK_MS, this.signal);
				} catch {
					// canceled: the next turn settles every task
				}
				continue;
			}
			task.asking = true;
			try {
				await this.pollOnce(task);
			} finally {
				task.asking = false;
			}
		}
	}

	/** The due task that has waited longest past its poll time (or its deadline), if any. */
	private mostOverdue(): Watched | undefined {
		const now = Date.now();
		let chosen: Watched | undefined;
		for (const task of this.watched.values()) {
			if (task.asking) continue;
			const dueAt = Math.min(task.nextPollAt, task.deadline);
			if (dueAt > now) continue;
			if (!chosen || dueAt < Math.min(chosen.nextPollAt, chosen.deadline)) chosen = task;
		}
		return chosen;
	}

	private async pollOnce(task: Watched): Promise<void> {
		const remaining = task.deadline - Date.now();
		if (remaining <= 0) {
			task.settle({ ok: false, error: this.timedOut(task), lastProgress: task.last });
			return;
		}
		try {
			const progress = await getTaskProgress.call(this.context, task.taskId, {
				itemIndex: task.itemIndex,
				maxAttempts: 1,
				timeoutMs: Math.max(1_000, Math.min(60_000, remaining)),
			});
			task.last = progress;
			task.lastError = undefined;
			if (isTerminalStatus(progress.status)) {
				task.settle({ ok: true, progress });
				return;
			}
		} catch (error) {
			if (!isTransientError(error)) {
				task.settle({ ok: false, error: error as Error, lastProgress: task.last });
				return;
			}
			task.lastError = error as Error;
		}
		task.nextPollAt = Date.now() + task.pollIntervalMs;
		if (task.nextPollAt > task.deadline) task.nextPollAt = task.deadline;
	}

	private timedOut(task: Watched): Error {
		const seconds = Math.round(task.timeoutMs / 1000);
		const last = task.last ? `last status: ${task.last.status}` : 'no status received';
		const failing = task.lastError
			? `; the last progress request failed: ${task.lastError.message}`
			: '';
		return operationError(
			this.context.getNode(),
			`Task ${task.taskId} did not finish within ${seconds} s (${last}${failing})`,
			{
				itemIndex: task.itemIndex,
				description:
					`The task may still be running on EverGIS. Raise Timeout in the options, or turn off Wait for Completion ` +
					`and look the task up later with Task → Get Status, ID ${task.taskId}.`,
			},
		);
	}

	private canceled(task: Watched): Error {
		return operationError(
			this.context.getNode(),
			`Stopped waiting for task ${task.taskId}: the execution was canceled`,
			{
				itemIndex: task.itemIndex,
				description: `The task keeps running on EverGIS; cancel it with Task → Cancel, ID ${task.taskId}, if it is not wanted.`,
			},
		);
	}
}
