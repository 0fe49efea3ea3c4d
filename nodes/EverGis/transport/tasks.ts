import type { IDataObject } from 'n8n-workflow';

import type { CreatedTask, TaskInfo, TaskProgress } from '../model/task';
import type { TilingBody } from '../model/tilingBody';
import { apiErrorOf } from '../shared/nodeErrors';
import { failureOf } from './errors';
import { serverMessage } from './failure';
import type { ReadPath } from './readings';
import { askEitherWay, READING_PATHS } from './readings';
import type { EverGisRequest } from './request';
import { everGisRequest, hostOf } from './request';
import type { EverGisRun } from './run';

/**
 * The scheduler endpoints. Paths and bodies as in the EverGIS docs (scheduler/index.md, tiling.md);
 * where they give a path two ways, both are tried (readings.ts).
 */

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
	return await askTask<TaskProgress>(run, 'progress', taskId, {
		action: `reading the progress of task ${shownId(taskId)}`,
		...options,
	});
}

/** `GET /scheduler/tasks/{id}` or `GET /scheduler/{id}` (readings.ts): parameters, status, dates. */
export async function getTaskInfo(
	run: EverGisRun,
	taskId: string,
	itemIndex?: number,
): Promise<TaskInfo> {
	return await askTask<TaskInfo>(run, 'taskInfo', taskId, {
		action: `reading task ${shownId(taskId)}`,
		itemIndex,
	});
}

/** A GET of a task whose path the docs give two ways, asked either way (readings.ts). */
async function askTask<T>(
	run: EverGisRun,
	path: ReadPath,
	taskId: string,
	request: Pick<
		EverGisRequest,
		'action' | 'itemIndex' | 'maxAttempts' | 'timeoutMs' | 'background'
	>,
): Promise<T> {
	const host = await hostOf(run);
	return await askEitherWay<T>(
		run,
		host,
		path,
		async (reading, anotherPathFollows) =>
			await everGisRequest<T>(run, {
				method: 'GET',
				path: READING_PATHS[path][reading](taskId),
				kind: 'read',
				notFound: unknownTask(taskId),
				anotherPathFollows,
				...request,
			}),
		(lastError) => neitherPath(run, { path, host, taskId, ...request }, lastError),
	);
}

/**
 * Neither documented path of a request is served at the host (both answered a route error). The
 * error carries no failed request's facts: it is not "EverGIS has no such task" (a trigger must not
 * drop the task, Skip Files Already Loaded must not load its files again), nor a passing failure.
 */
function neitherPath(
	run: EverGisRun,
	asked: { path: ReadPath; host: string; taskId: string; action: string; itemIndex?: number },
	lastError: unknown,
): Error {
	const { path, host, taskId, action, itemIndex } = asked;
	const [tiling, reference] = [READING_PATHS[path].tilingPage, READING_PATHS[path].referencePage];
	const status = failureOf(lastError)?.status;
	return apiErrorOf(
		run.context.getNode(),
		`EverGIS at ${host} serves neither GET ${tiling(taskId)} (the tiling page's path) nor GET ${reference(taskId)} (the scheduler reference page's) while ${action}`,
		{
			description:
				`Both paths the EverGIS docs give for this request were answered HTTP ${status ?? '404'} by the web server, not by EverGIS. ` +
				'Check that Host is the EverGIS API with its prefix, e.g. https://evergis.ru/sp; docs/evergis-api.md lists the paths the package tries.',
			itemIndex,
		},
	);
}

/**
 * `POST /scheduler/tasks/{id}/cancel`: the one form the docs give (scheduler/index.md:135, the
 * reference page itself uses the tiling page's pattern here), so there is no other path to try.
 */
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
