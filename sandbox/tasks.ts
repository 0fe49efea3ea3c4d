import { randomUUID } from 'node:crypto';

import type { CatalogStore } from './catalogs';
import type { StoredFile } from './storage';
import { checkRaster } from './tiff';
import type { FinishStatus, StepResult, TaskRecord, TaskResult, TaskStatus } from './types';

// Tiling tasks and their time-driven state machine. A task's status is computed from the clock
// when somebody looks (lazily), so idle tasks cost nothing:
//   Scheduled (first 10 % of the duration) → Planning (to 20 %) → Executing (to 100 %) →
//   Completed or Failed (decided by the raster check), or Timeout (taskTimeoutMs), Canceled
//   (cancel request), or whatever finishTask() says.

export const CANCEL_MESSAGE = 'Cancelled by external request.';
export const TIMEOUT_MESSAGE = 'The task exceeded its execution time limit.';

const TERMINAL: ReadonlySet<TaskStatus> = new Set([
	'Completed',
	'Failed',
	'Canceled',
	'Timeout',
	'Error',
	'Interrupted',
	'Unknown',
]);

export function isTerminal(status: TaskStatus): boolean {
	return TERMINAL.has(status);
}

type Outcome = { ok: true; tilesPerFile: number[] } | { ok: false; messages: string[] };

interface Final {
	status: TaskStatus;
	endedAtMs: number;
	message?: string;
}

interface TaskEntry {
	id: string;
	owner: string;
	body: Record<string, unknown>;
	serviceName: string;
	files: StoredFile[];
	attributes: Record<string, unknown>;
	createdAtMs: number;
	/** null: runs until finishTask(). */
	durationMs: number | null;
	timeoutMs: number | undefined;
	outcome?: Outcome;
	outcomeReady: Promise<void>;
	final?: Final;
	/** Progress requests answered so far (the first `unknownAnswers` say Unknown). */
	progressAnswers: number;
}

export interface NewTask {
	owner: string;
	body: Record<string, unknown>;
	serviceName: string;
	files: StoredFile[];
	attributes: Record<string, unknown>;
	durationMs: number | null;
	timeoutMs: number | undefined;
}

function iso(ms: number | undefined): string | null {
	return ms === undefined ? null : new Date(ms).toISOString();
}

function step(fields: Partial<StepResult>): StepResult {
	return {
		stepName: null,
		inputSource: null,
		outSource: null,
		startedTime: null,
		endedTime: null,
		batchErrors: null,
		batchCount: 1,
		inputObjectCount: 0,
		errorCount: 0,
		outputObjectCount: 0,
		resultDetails: null,
		...fields,
	};
}

export class TaskStore {
	private readonly entries = new Map<string, TaskEntry>();
	/** Tasks not yet terminal: the only ones settle() has to look at. */
	private readonly open = new Set<TaskEntry>();

	constructor(
		private readonly catalogs: CatalogStore,
		private readonly onChange: () => void,
		/** How answers are shaped (options.ts): read when a task is looked at. */
		private readonly shapes: () => {
			batchErrors: 'strings' | 'objects';
			unknownAnswers: number;
		} = () => ({
			batchErrors: 'strings',
			unknownAnswers: 0,
		}),
	) {}

	create(task: NewTask): string {
		const id = randomUUID();
		const entry: TaskEntry = {
			id,
			...task,
			createdAtMs: Date.now(),
			outcomeReady: Promise.resolve(),
			progressAnswers: 0,
		};
		// The tiling work: read each raster's header and directories (never the whole file).
		entry.outcomeReady = Promise.all(task.files.map((f) => checkRaster(f.path, f.fileId))).then(
			(checks) => {
				const bad = checks.flatMap((c) => (c.ok ? [] : [c.message]));
				entry.outcome =
					bad.length > 0
						? { ok: false, messages: bad }
						: { ok: true, tilesPerFile: checks.map((c) => (c.ok ? c.tiles : 0)) };
				this.onChange();
			},
			(error: unknown) => {
				entry.outcome = { ok: false, messages: [`The raster check failed: ${String(error)}`] };
				this.onChange();
			},
		);
		this.entries.set(id, entry);
		this.open.add(entry);
		return id;
	}

	has(id: string): boolean {
		return this.entries.has(id);
	}

	owner(id: string): string | undefined {
		return this.entries.get(id)?.owner;
	}

	/** Waits for the raster check of a task that is due to end, so that its answer is final. */
	async ready(id: string): Promise<void> {
		const e = this.entries.get(id);
		if (e && !e.outcome) await e.outcomeReady;
	}

	private startMs(e: TaskEntry): number {
		return e.durationMs === null ? e.createdAtMs : e.createdAtMs + 0.2 * e.durationMs;
	}

	private end(e: TaskEntry, final: Final): void {
		e.final = final;
		this.open.delete(e);
		if (final.status === 'Completed') {
			const tiles = e.outcome?.ok ? e.outcome.tilesPerFile : e.files.map(() => 0);
			this.catalogs.addRasters(
				e.serviceName,
				e.files.map((f, i) => ({
					fileId: f.fileId,
					attributes: structuredClone(e.attributes),
					tiles: tiles[i],
					taskId: e.id,
				})),
			);
		}
		this.onChange();
	}

	/** Brings a task's status up to the clock. */
	private settle(e: TaskEntry, now: number): void {
		if (e.final) return;
		const d = e.durationMs;
		const t = e.timeoutMs;
		if (t !== undefined && (d === null || t < d) && now >= e.createdAtMs + t) {
			this.end(e, { status: 'Timeout', endedAtMs: e.createdAtMs + t });
			return;
		}
		if (d !== null && now >= e.createdAtMs + d && e.outcome) {
			this.end(e, {
				status: e.outcome.ok ? 'Completed' : 'Failed',
				endedAtMs: e.createdAtMs + d,
			});
		}
	}

	settleAll(now = Date.now()): void {
		for (const e of [...this.open]) this.settle(e, now);
	}

	private status(e: TaskEntry, now: number): TaskStatus {
		if (e.final) return e.final.status;
		const d = e.durationMs;
		if (d === null) return 'Executing';
		const elapsed = now - e.createdAtMs;
		if (elapsed < 0.1 * d) return 'Scheduled';
		if (elapsed < 0.2 * d) return 'Planning';
		return 'Executing';
	}

	private startedAt(e: TaskEntry, now: number): number | undefined {
		const s = this.startMs(e);
		const until = e.final ? e.final.endedAtMs : now;
		return until >= s ? s : undefined;
	}

	private result(e: TaskEntry, status: TaskStatus, now: number): TaskResult | null {
		const n = e.files.length;
		const started = iso(this.startedAt(e, now));
		switch (status) {
			case 'Scheduled':
			case 'Planning':
				return null;
			case 'Executing': {
				const d = e.durationMs;
				const s = this.startMs(e);
				const fraction = d === null ? 0 : Math.min(1, (now - s) / (e.createdAtMs + d - s));
				const done = Math.min(n - 1, Math.floor(fraction * n));
				return {
					message: null,
					stepResults: [
						step({ startedTime: started, inputObjectCount: n, outputObjectCount: done }),
					],
					inputObjectCount: n,
					errorCount: 0,
					outputObjectCount: done,
				};
			}
			case 'Completed': {
				const tiles = e.outcome?.ok ? e.outcome.tilesPerFile.reduce((a, b) => a + b, 0) : 0;
				return {
					message: null,
					stepResults: [
						step({
							startedTime: started,
							endedTime: iso(e.final?.endedAtMs),
							inputObjectCount: n,
							outputObjectCount: n,
							resultDetails: { 'Tiles created': tiles },
						}),
					],
					inputObjectCount: n,
					errorCount: 0,
					outputObjectCount: n,
				};
			}
			case 'Failed': {
				const messages = e.final?.message
					? [e.final.message]
					: e.outcome && !e.outcome.ok
						? e.outcome.messages
						: ['The tiling task failed.'];
				const objects = this.shapes().batchErrors === 'objects';
				return {
					message: objects ? null : messages.join('; '),
					stepResults: [
						step({
							startedTime: started,
							endedTime: iso(e.final?.endedAtMs),
							batchErrors: objects
								? messages.map((message) => ({ message, errorType: 'TilingError' }))
								: messages,
							inputObjectCount: n,
							errorCount: messages.length,
						}),
					],
					inputObjectCount: n,
					errorCount: messages.length,
					outputObjectCount: 0,
				};
			}
			case 'Unknown':
				return null;
			case 'Canceled':
				return {
					message: CANCEL_MESSAGE,
					stepResults: null,
					inputObjectCount: 0,
					errorCount: 0,
					outputObjectCount: 0,
				};
			default: {
				// Timeout, Error, Interrupted.
				const message =
					e.final?.message ??
					(status === 'Timeout' ? TIMEOUT_MESSAGE : `The task ended with status ${status}.`);
				return {
					message,
					stepResults: null,
					inputObjectCount: n,
					errorCount: status === 'Interrupted' ? 0 : 1,
					outputObjectCount: 0,
				};
			}
		}
	}

	/** The progress shape of GET /scheduler/tasks/{id}/progress. */
	progress(id: string, now = Date.now()): Record<string, unknown> | undefined {
		const e = this.entries.get(id);
		if (!e) return undefined;
		this.settle(e, now);
		const status = this.status(e, now);
		const taskResult = this.result(e, status, now);
		const running = status === 'Executing';
		return {
			id: e.id,
			status,
			taskResult,
			stepCount: running ? 1 : 0,
			currentStepId: 0,
			currentStepAlreadyDone: running ? (taskResult?.outputObjectCount ?? 0) : 0,
			currentStepObjectCount: running ? e.files.length : 0,
			resultDetails: null,
		};
	}

	/**
	 * A progress request's answer: the task's progress, but `Unknown` (taskResult null) for each
	 * task's first `unknownAnswers` requests, as the SDK says before a task has subtasks.
	 */
	answerProgress(id: string): Record<string, unknown> | undefined {
		const e = this.entries.get(id);
		const answer = this.progress(id);
		if (!e || !answer) return answer;
		e.progressAnswers++;
		if (e.progressAnswers > this.shapes().unknownAnswers) return answer;
		return { ...answer, status: 'Unknown', taskResult: null };
	}

	/** The shape of GET /scheduler/{id}. */
	info(id: string, now = Date.now()): Record<string, unknown> | undefined {
		const e = this.entries.get(id);
		if (!e) return undefined;
		this.settle(e, now);
		return {
			id: e.id,
			owner: e.owner,
			status: this.status(e, now),
			parameters: { type: 'tiling', ...structuredClone(e.body) },
			createdDate: iso(e.createdAtMs),
			startedDate: iso(this.startedAt(e, now)),
			completedDate: iso(e.final?.endedAtMs),
		};
	}

	/** Cancels a running task; a terminal one stays as it is. */
	cancel(id: string, now = Date.now()): void {
		const e = this.entries.get(id);
		if (!e) return;
		this.settle(e, now);
		if (!e.final) this.end(e, { status: 'Canceled', endedAtMs: now });
	}

	finish(id: string, status: FinishStatus, message?: string): void {
		const e = this.entries.get(id);
		if (!e) throw new Error(`finishTask: no task '${id}'`);
		const now = Date.now();
		this.settle(e, now);
		if (e.final) {
			throw new Error(`finishTask: task '${id}' has already ended (${e.final.status})`);
		}
		this.end(e, { status, endedAtMs: now, message });
	}

	records(now = Date.now()): TaskRecord[] {
		this.settleAll(now);
		return [...this.entries.values()].map((e) => {
			const status = this.status(e, now);
			const record: TaskRecord = {
				id: e.id,
				owner: e.owner,
				type: 'tiling',
				body: structuredClone(e.body),
				status,
				createdAt: new Date(e.createdAtMs).toISOString(),
				taskResult: this.result(e, status, now),
			};
			const started = this.startedAt(e, now);
			if (started !== undefined) record.startedAt = new Date(started).toISOString();
			if (e.final) record.endedAt = new Date(e.final.endedAtMs).toISOString();
			return record;
		});
	}
}
