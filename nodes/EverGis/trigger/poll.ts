import type { IDataObject, INodeExecutionData, IPollFunctions } from 'n8n-workflow';

import { isTerminalStatus } from '../model/statuses';
import type { TaskProgress } from '../model/task';
import { progressSummary } from '../model/task';
import { splitList } from '../shared/list';
import { asNodeError, operationError } from '../shared/nodeErrors';
import { failureOf, isTransientError } from '../transport/errors';
import { wasNeverSent } from '../transport/retry';
import { getTaskInfo, getTaskProgress } from '../transport/tasks';
import { pruneState, readState, writeState } from './watchedTasks';

/** Reported once for a task EverGIS does not know (404). */
export const NOT_FOUND = 'NotFound';
/** Reported once for a task EverGIS refuses to show (400, 403, …). */
export const REFUSED = 'Refused';

/** A poll should end well inside n8n's poll interval, even when EverGIS hangs. */
const POLL_REQUEST_TIMEOUT_MS = 30_000;

type Look =
	| { taskId: string; kind: 'progress'; progress: TaskProgress }
	| {
			taskId: string;
			kind: 'gone';
			status: string;
			message: string;
			httpCode: number;
			error: unknown;
	  }
	| { taskId: string; kind: 'skipped'; error: unknown }
	/** A failure no task can get past (the login, a canceled execution): the poll fails. */
	| { taskId: string; kind: 'fatal'; error: unknown };

/**
 * One poll: ask EverGIS about every watched task that has not ended yet (one progress request
 * each, within the poll's request limit), and fire once for each that reached a selected terminal
 * status.
 * A task EverGIS does not know, or refuses to show, is reported once (NotFound, Refused) and
 * then left alone. A task whose request failed for a passing reason is asked again at the next
 * poll. The poll itself fails only when EverGIS cannot be reached at all or rejects the
 * credentials. Manual runs ("Fetch Test Event") show the watched tasks as they are now and leave
 * the saved state alone.
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

	const looks = await Promise.all(
		toAsk.map(async (taskId): Promise<Look> => {
			try {
				const progress = await getTaskProgress.call(this, taskId, {
					maxAttempts: 1,
					timeoutMs: POLL_REQUEST_TIMEOUT_MS,
				});
				return { taskId, kind: 'progress', progress };
			} catch (error) {
				return classify(taskId, error);
			}
		}),
	);
	const fatal = looks.find((look) => look.kind === 'fatal');
	if (fatal) throw asNodeError(this, fatal.error);
	const failedPoll = pollFailure(looks);
	if (failedPoll !== undefined) throw asNodeError(this, failedPoll);

	const seenAt = new Date().toISOString();
	const fired: Array<{ taskId: string; json: IDataObject }> = [];
	for (const look of looks) {
		if (look.kind === 'skipped' || look.kind === 'fatal') continue;
		if (look.kind === 'gone') {
			if (!manual) state.ended[look.taskId] = look.status;
			fired.push({
				taskId: look.taskId,
				json: {
					taskId: look.taskId,
					status: look.status,
					message: look.message,
					httpCode: look.httpCode,
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
		await Promise.all(
			fired.map(async (item) => {
				if (item.json.status === NOT_FOUND || item.json.status === REFUSED) return;
				try {
					item.json.info = await getTaskInfo.call(this, item.taskId);
				} catch (error) {
					item.json.info = { error: (error as Error).message };
				}
			}),
		);
	}
	if (!manual) writeState(staticData, state);
	return fired.length > 0 ? [fired.map((item) => ({ json: item.json }))] : null;
}

function classify(taskId: string, error: unknown): Look {
	const facts = failureOf(error);
	if (facts === undefined || facts.configuration || facts.canceled) {
		return { taskId, kind: 'fatal', error };
	}
	if (isTransientError(error) || facts.status === undefined) {
		return { taskId, kind: 'skipped', error };
	}
	const message = (error as Error).message;
	if (facts.status === 404) {
		return {
			taskId,
			kind: 'gone',
			status: NOT_FOUND,
			httpCode: 404,
			message: 'EverGIS does not know this task (a wrong ID, or a task of another user)',
			error,
		};
	}
	return { taskId, kind: 'gone', status: REFUSED, httpCode: facts.status, message, error };
}

/**
 * The poll fails only when not one task could be read because EverGIS cannot be reached (the
 * connection was never made, or nothing answered in time), or because it rejected the
 * credentials for every task (401 even after n8n logged in again, or 403).
 */
function pollFailure(looks: Look[]): unknown {
	if (looks.length === 0 || looks.some((look) => look.kind === 'progress')) return undefined;
	const unreachable = looks.every((look) => {
		const facts = look.kind === 'skipped' ? failureOf(look.error) : undefined;
		return facts !== undefined && (wasNeverSent(facts) || facts.timedOut);
	});
	const rejected = looks.every(
		(look) => look.kind === 'gone' && (look.httpCode === 401 || look.httpCode === 403),
	);
	const [first] = looks;
	return (unreachable || rejected) && first.kind !== 'progress' ? first.error : undefined;
}
