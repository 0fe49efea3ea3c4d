import type { IDataObject } from 'n8n-workflow';

import type { CreatedTask, TaskInfo, TaskProgress } from '../model/task';
import type { TilingBody } from '../model/tilingBody';
import { apiErrorOf } from '../shared/nodeErrors';
import { failureOf } from './errors';
import { serverMessage } from './failure';
import { everGisRequest } from './request';
import type { EverGisRun } from './run';

/** The scheduler endpoints. Paths and bodies as in the EverGIS docs (scheduler/index.md, tiling.md). */

/** A task ID as messages show it: whole, unless someone pasted a novel into the field. */
export function shownId(taskId: string): string {
	return taskId.length > 80 ? `${taskId.slice(0, 77)}...` : taskId;
}

function unknownTask(taskId: string) {
	return {
		message: `EverGIS has no task '${shownId(taskId)}'`,
		description:
			'Check the task ID. EverGIS shows a user only their own tasks, so check also that the credentials belong to the user who started it.',
	};
}

/**
 * Whether EverGIS refused a task because files it names are no longer in temporary storage.
 * Whether temporary files belong to the login session is not documented: if they do, a login
 * between the upload and the task (an expired token) loses them.
 */
export function lostUploads(error: unknown, fileIds: string[]): boolean {
	const facts = failureOf(error);
	if (facts?.status !== 400) return false;
	const said = serverMessage(facts.body) ?? '';
	return (
		/temporar|storage|not found|does not exist|missing/i.test(said) &&
		fileIds.some((fileId) => said.includes(fileId))
	);
}

export async function createTilingTask(
	run: EverGisRun,
	body: TilingBody,
	itemIndex?: number,
): Promise<CreatedTask> {
	const created = await everGisRequest(run, {
		method: 'POST',
		path: '/scheduler/tasks',
		qs: { type: 'tiling' },
		body: body as unknown as IDataObject,
		kind: 'create',
		action: `creating the tiling task for catalog '${body.target.serviceName}'`,
		itemIndex,
		badRequestHint:
			'EverGIS checked the task and refused it: the message says which field. Check the catalog name, the attributes and that the files were uploaded.',
	});
	const taskId = (created as IDataObject)?.taskId;
	if (typeof taskId === 'string' && taskId !== '') run.submittedTaskIds.push(taskId);
	if (typeof taskId !== 'string' || taskId === '') {
		const message = 'EverGIS accepted the tiling task but its answer has no taskId';
		throw apiErrorOf(run.context.getNode(), message, {
			description: `The answer was: ${JSON.stringify(created).slice(0, 200)}. Check that Host points at the EverGIS API.`,
			itemIndex,
		});
	}
	return created as CreatedTask;
}

export async function getTaskProgress(
	run: EverGisRun,
	taskId: string,
	options: {
		itemIndex?: number;
		maxAttempts?: number;
		timeoutMs?: number;
		deadline?: number;
		background?: boolean;
	} = {},
): Promise<TaskProgress> {
	return (await everGisRequest(run, {
		method: 'GET',
		path: `/scheduler/tasks/${encodeURIComponent(taskId)}/progress`,
		kind: 'read',
		action: `reading the progress of task ${shownId(taskId)}`,
		notFound: unknownTask(taskId),
		...options,
	})) as TaskProgress;
}

export async function getTaskInfo(
	run: EverGisRun,
	taskId: string,
	itemIndex?: number,
): Promise<TaskInfo> {
	return (await everGisRequest(run, {
		method: 'GET',
		path: `/scheduler/${encodeURIComponent(taskId)}`,
		kind: 'read',
		action: `reading task ${shownId(taskId)}`,
		notFound: unknownTask(taskId),
		itemIndex,
	})) as TaskInfo;
}

export async function cancelTask(
	run: EverGisRun,
	taskId: string,
	itemIndex?: number,
): Promise<TaskProgress> {
	return (await everGisRequest(run, {
		method: 'POST',
		path: `/scheduler/tasks/${encodeURIComponent(taskId)}/cancel`,
		kind: 'cancel',
		action: `canceling task ${shownId(taskId)}`,
		notFound: unknownTask(taskId),
		itemIndex,
	})) as TaskProgress;
}
