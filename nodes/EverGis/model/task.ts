import type { IDataObject } from 'n8n-workflow';

import { errorText } from '../shared/errorText';
import {
	isFailureStatus,
	isSuccessStatus,
	isTerminalStatus,
	UNKNOWN_GRACE,
	UNKNOWN_STATUS,
} from './statuses';

/** The answers of the scheduler, as the EverGIS docs show them. */

export interface StepResult extends IDataObject {
	stepName: string | null;
	startedTime: string | null;
	endedTime: string | null;
	/** What a batch error is, the docs never show (only `null`): strings or objects are read. */
	batchErrors: unknown[] | null;
	batchCount: number;
	inputObjectCount: number;
	errorCount: number;
	outputObjectCount: number;
	resultDetails: IDataObject | null;
}

export interface TaskResult extends IDataObject {
	message: string | null;
	stepResults: StepResult[] | null;
	inputObjectCount: number;
	errorCount: number;
	outputObjectCount: number;
}

/** `GET /scheduler/tasks/{id}/progress`, and the answer of cancel. */
export interface TaskProgress extends IDataObject {
	id: string;
	status: string;
	taskResult: TaskResult | null;
}

/** `POST /scheduler/tasks?type=tiling` */
export interface CreatedTask extends IDataObject {
	taskId: string;
	status: string;
}

/** `GET /scheduler/{id}` */
export interface TaskInfo extends IDataObject {
	id: string;
	owner: string | null;
	status: string;
	parameters: IDataObject | null;
	createdDate: string | null;
	startedDate: string | null;
	completedDate: string | null;
}

/** Sum of the "Tiles created" that the task's steps report; null when none reports it. */
export function tilesCreated(progress: Pick<TaskProgress, 'taskResult'>): number | null {
	let total: number | null = null;
	for (const step of progress.taskResult?.stepResults ?? []) {
		const tiles = Number(step?.resultDetails?.['Tiles created']);
		if (Number.isFinite(tiles)) total = (total ?? 0) + tiles;
	}
	return total;
}

/** Why a task failed, in the server's words: its message, else its batch errors. */
export function failureReason(progress: Pick<TaskProgress, 'status' | 'taskResult'>): string {
	const result = progress.taskResult;
	const errors = (result?.stepResults ?? [])
		.flatMap((step) => (Array.isArray(step?.batchErrors) ? step.batchErrors : []))
		.map(batchErrorText)
		.filter((text): text is string => text !== undefined);
	const message = errorText(result?.message);
	if (message !== undefined) return message;
	if (errors.length > 0) return errors.join('; ');
	if (progress.status === UNKNOWN_STATUS) {
		return `EverGIS said '${UNKNOWN_STATUS}' for ${Math.round(UNKNOWN_GRACE.ms / 60_000)} minutes and never that the task completed; look at the task in EverGIS`;
	}
	return `the task ended with status ${progress.status}`;
}

/** One batch error as text: a string, or an object's words (shared/errorText.ts), else its JSON. */
function batchErrorText(error: unknown): string | undefined {
	if (error === null || error === undefined || error === '') return undefined;
	const words = errorText(error);
	if (words !== undefined) return words;
	const json = JSON.stringify(error);
	return json.length > 200 ? `${json.slice(0, 197)}...` : json;
}

/**
 * The facts of a task's progress that every output item carries, flat and easy to map. `ended`:
 * whether the task has ended; by default, whether its status is an end at first sight (a wait that
 * saw Unknown for longer than its grace passes true).
 */
export function progressSummary(
	progress: TaskProgress,
	{ ended = isTerminalStatus(progress.status) }: { ended?: boolean } = {},
): IDataObject {
	const steps = progress.taskResult?.stepResults ?? [];
	const startTimes = steps.map((step) => step?.startedTime).filter(Boolean) as string[];
	const endTimes = steps.map((step) => step?.endedTime).filter(Boolean) as string[];
	return {
		taskId: progress.id,
		status: progress.status,
		finished: ended,
		succeeded: ended && isSuccessStatus(progress.status),
		failed: ended && isFailureStatus(progress.status),
		message: progress.taskResult?.message ?? null,
		tilesCreated: tilesCreated(progress),
		errorCount: progress.taskResult?.errorCount ?? 0,
		startedTime: startTimes.length ? startTimes.sort()[0] : null,
		endedTime: endTimes.length ? endTimes.sort()[endTimes.length - 1] : null,
		taskResult: progress.taskResult ?? null,
	};
}
