import type { IDataObject } from 'n8n-workflow';

import { isFailureStatus, isSuccessStatus, isTerminalStatus } from './statuses';

/** The answers of the scheduler, as the EverGIS docs show them. */

export interface StepResult extends IDataObject {
	stepName: string | null;
	startedTime: string | null;
	endedTime: string | null;
	batchErrors: string[] | null;
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
		.flatMap((step) => step?.batchErrors ?? [])
		.filter(Boolean);
	const reason = result?.message ?? (errors.length ? errors.join('; ') : undefined);
	return reason ? String(reason) : `the task ended with status ${progress.status}`;
}

/** The facts of a task's progress that every output item carries, flat and easy to map. */
export function progressSummary(progress: TaskProgress): IDataObject {
	const steps = progress.taskResult?.stepResults ?? [];
	const started = steps.map((step) => step?.startedTime).filter(Boolean) as string[];
	const ended = steps.map((step) => step?.endedTime).filter(Boolean) as string[];
	return {
		taskId: progress.id,
		status: progress.status,
		finished: isTerminalStatus(progress.status),
		succeeded: isSuccessStatus(progress.status),
		failed: isFailureStatus(progress.status),
		message: progress.taskResult?.message ?? null,
		tilesCreated: tilesCreated(progress),
		errorCount: progress.taskResult?.errorCount ?? 0,
		startedTime: started.length ? started.sort()[0] : null,
		endedTime: ended.length ? ended.sort()[ended.length - 1] : null,
		taskResult: progress.taskResult ?? null,
	};
}
