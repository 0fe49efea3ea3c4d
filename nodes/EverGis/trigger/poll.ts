import type { IDataObject, INodeExecutionData, IPollFunctions } from 'n8n-workflow';

import { isTerminalStatus } from '../model/statuses';
import type { TaskProgress } from '../model/task';
import { progressSummary } from '../model/task';
import { mapWithConcurrency } from '../shared/pool';
import { splitList } from '../shared/list';
import { asNodeError, operationError } from '../shared/nodeErrors';
import { isTransientError } from '../transport/errors';
import { getTaskInfo, getTaskProgress } from '../transport/tasks';
import { POLL_CONCURRENCY } from '../transport/waiter';
import { pruneState, readState, writeState } from './watchedTasks';

export const NOT_FOUND = 'NotFound';

type Look =
	| { taskId: string; kind: 'progress'; progress: TaskProgress }
	| { taskId: string; kind: 'notFound' }
	| { taskId: string; kind: 'skipped'; error: unknown };

/**
 * One poll: ask EverGIS about every watched task that has not ended yet (one progress request
 * each, a few at a time), and fire once for each that reached a selected terminal status.
 * A task EverGIS does not know is reported once as status NotFound. A task whose request failed
 * for a passing reason is asked again at the next poll. Manual runs ("Fetch Test Event") show the
 * watched tasks as they are now and leave the saved state alone.
 */
export async function pollTasks(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
	const manual = this.getMode() === 'manual';
	const watched = splitList(this.getNodeParameter('taskIds', ''), /[\s,;]+/);
	const statuses = new Set(this.getNodeParameter('statuses', []) as string[]);
	const options = this.getNodeParameter('options', {}) as IDataObject;
	if (watched.length === 0) {
		throw operationError(this.getNode(), 'No task IDs to watch', {
			description:
				'Fill in Task IDs with the IDs of the tiling tasks to watch (e.g. the taskId output of EverGIS Tiling).',
		});
	}
	const staticData = this.getWorkflowStaticData('node');
	const state = pruneState(readState(staticData), watched);
	const toAsk = manual ? watched : watched.filter((taskId) => state.ended[taskId] === undefined);

	const looks = (
		await mapWithConcurrency(toAsk, POLL_CONCURRENCY, async (taskId): Promise<Look> => {
			try {
				return {
					taskId,
					kind: 'progress',
					progress: await getTaskProgress.call(this, taskId, { maxAttempts: 1 }),
				};
			} catch (error) {
				if ((error as { httpCode?: string }).httpCode === '404')
					return { taskId, kind: 'notFound' };
				if (isTransientError(error)) return { taskId, kind: 'skipped', error };
				throw asNodeError(this, error);
			}
		})
	).map((result) => {
		if (result?.status === 'rejected') throw result.reason;
		return result?.value as Look;
	});
	const skipped = looks.filter((look) => look.kind === 'skipped');
	if (looks.length > 0 && skipped.length === looks.length && skipped.some(unreachable)) {
		// Not one answer: the server cannot be reached. Fail this poll so that n8n shows it.
		throw asNodeError(this, (skipped[0] as { error: unknown }).error);
	}

	const seenAt = new Date().toISOString();
	const fired: Array<{ taskId: string; json: IDataObject }> = [];
	for (const look of looks) {
		if (look.kind === 'skipped') continue;
		if (look.kind === 'notFound') {
			if (!manual) state.ended[look.taskId] = NOT_FOUND;
			fired.push({
				taskId: look.taskId,
				json: {
					taskId: look.taskId,
					status: NOT_FOUND,
					message: 'EverGIS does not know this task (wrong ID, or a task of another user)',
					seenAt,
				},
			});
			continue;
		}
		const ended = isTerminalStatus(look.progress.status);
		if (ended && !manual) state.ended[look.taskId] = look.progress.status;
		if (manual || (ended && statuses.has(look.progress.status))) {
			fired.push({
				taskId: look.taskId,
				json: { ...progressSummary(look.progress), taskId: look.taskId, seenAt },
			});
		}
	}
	if (options.includeTaskInfo === true) {
		await mapWithConcurrency(fired, POLL_CONCURRENCY, async (item) => {
			if (item.json.status === NOT_FOUND) return;
			try {
				item.json.info = await getTaskInfo.call(this, item.taskId);
			} catch (error) {
				item.json.info = { error: (error as Error).message };
			}
		});
	}
	if (!manual) writeState(staticData, state);
	return fired.length > 0 ? [fired.map((item) => ({ json: item.json }))] : null;
}

function unreachable(look: Look): boolean {
	return look.kind === 'skipped' && (look.error as { httpCode?: string | null }).httpCode == null;
}
