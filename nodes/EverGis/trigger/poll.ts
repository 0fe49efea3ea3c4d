import type { IDataObject, INodeExecutionData, IPollFunctions } from 'n8n-workflow';

import { hasEnded, isTerminalStatus } from '../model/statuses';
import type { TaskProgress } from '../model/task';
import { progressSummary } from '../model/task';
import { splitList } from '../shared/list';
import { asNodeError, operationError } from '../shared/nodeErrors';
import { failureOf, isTransientError } from '../transport/errors';
import { wasNeverSent } from '../transport/retry';
import { EverGisRun } from '../transport/run';
import { getTaskInfo, getTaskProgress } from '../transport/tasks';
import { startPoll } from './pollsUnderWay';
import { inAskingOrder, noteStatus, pruneState, readState, writeState } from './watchedTasks';

/** Reported once for a task EverGIS does not know (404). */
export const NOT_FOUND = 'NotFound';
/** Reported once for a task EverGIS refuses to show (400, 403, …). */
export const REFUSED = 'Refused';

/** No request of a poll waits longer than this for its answer (nor past the poll's end). */
const POLL_REQUEST_TIMEOUT_MS = 30_000;
/**
 * A poll ends within this time, or within the budget n8n gives it (its durable scheduler abandons
 * a poll after N8N_SCHEDULER_POLL_TIMEOUT, and gives the node a budget below that), whatever
 * EverGIS does: each request is sent with the time left, and at the end the poll stops waiting
 * (EverGisRun.within). n8n polls a schedule at most once a minute, but does not wait for a poll
 * still running, so a poll that finds another of its trigger under way asks nothing
 * (pollsUnderWay.ts).
 */
const POLL_TIME_MS = 45_000;

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
	/** Not read this time (a passing failure, or the poll's time ran out): asked at the next poll. */
	| { taskId: string; kind: 'skipped'; error: unknown }
	/** A failure no task can get past (the credentials): the poll fails with it. */
	| { taskId: string; kind: 'fatal'; error: unknown };

/**
 * One poll: ask EverGIS about every watched task that has not ended yet (one progress request
 * each, within the poll's request limit and its time), and fire once for each that reached a
 * selected terminal status. Each poll is a run of its own (transport/run.ts): its login, request
 * limit and failures end with it, although n8n hands every poll of an activation the same context.
 *
 * A task EverGIS does not know, or refuses to show, is reported once (NotFound, Refused) and then
 * left alone. A task that could not be read for a passing reason (EverGIS or a proxy failing,
 * busy, no connection, no answer in time) is asked again at the next poll; when no task could be
 * read at all the poll says so in n8n's log and ends without items, so that the trigger stays
 * active and heals by itself when EverGIS is back (n8n would leave a trigger whose activation poll
 * throws deactivated). The poll fails only for what the user must fix: the credentials, EverGIS
 * refusing every task, or a Host that serves neither documented progress path (a server of the newer
 * API generation says so: transport/readings.ts, generation.ts). A task that says Unknown has ended
 * only once it has said so for its grace (model/statuses.ts), counted across polls. Manual runs
 * ("Fetch Test Event") show the watched tasks as they are now, report every failure, and leave the
 * saved state alone.
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
	const toAsk = manual
		? watched
		: inAskingOrder(
				watched.filter((taskId) => state.ended[taskId] === undefined),
				state.askFrom,
			);

	const deadline = Date.now() + Math.min(POLL_TIME_MS, this.getPollBudgetMs?.() ?? POLL_TIME_MS);
	const pollEnded = manual ? () => undefined : startPoll(triggerOf(this), deadline);
	if (pollEnded === undefined) {
		this.logger.warn(
			'EverGIS Tiling Trigger: another poll of this trigger is still under way; this poll asks nothing (that poll fires what has ended)',
		);
		return null;
	}
	const run = new EverGisRun(this, { deadline });
	let looks: Look[];
	try {
		// At the deadline the poll goes on with the answers it has: what is not answered by then is
		// asked first at the next poll.
		const answered = new Map<string, Look>();
		await run.within(
			Promise.all(
				toAsk.map(async (taskId) => {
					answered.set(taskId, await look(run, taskId));
				}),
			),
		);
		looks = toAsk.map(
			(taskId) => answered.get(taskId) ?? { taskId, kind: 'skipped', error: run.signal.reason },
		);
		const fatal = looks.find((look) => look.kind === 'fatal');
		if (fatal) throw asNodeError(this, fatal.error);
		const failedPoll = pollFailure(looks, manual);
		if (failedPoll !== undefined) throw asNodeError(this, failedPoll);
		const notAsked = looks.filter((look) => look.kind === 'skipped');
		if (notAsked.length > 0 && !manual) {
			this.logger.warn(
				`EverGIS Tiling Trigger: ${notAsked.length} of ${looks.length} tasks could not be read now; the next poll asks them again`,
				{ reason: (notAsked[0].error as Error)?.message },
			);
		}
		// The next poll starts with the first task this one did not get to.
		state.askFrom =
			run.stopReason === 'outOfTime' && notAsked.length > 0 ? notAsked[0].taskId : undefined;

		const now = new Date();
		const seenAt = now.toISOString();
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
			const { status } = look.progress;
			// A manual run shows the tasks as they are now; a poll also counts how long one says Unknown.
			const ended = manual
				? isTerminalStatus(status)
				: hasEnded(status, noteStatus(state, look.taskId, status, now));
			if (ended && !manual) state.ended[look.taskId] = status;
			if (manual || (ended && statuses.has(status))) {
				fired.push({
					taskId: look.taskId,
					json: { ...progressSummary(look.progress, { ended }), taskId: look.taskId, seenAt },
				});
			}
		}
		if (options.includeTaskInfo === true) {
			const infos = new Map<string, IDataObject>();
			const withInfo = fired.filter(
				(item) => item.json.status !== NOT_FOUND && item.json.status !== REFUSED,
			);
			await run.within(
				Promise.all(
					withInfo.map(async (item) => {
						try {
							infos.set(item.taskId, await getTaskInfo(run, item.taskId));
						} catch (error) {
							infos.set(item.taskId, { error: (error as Error).message });
						}
					}),
				),
			);
			for (const item of withInfo) {
				item.json.info = infos.get(item.taskId) ?? { error: (run.signal.reason as Error).message };
			}
		}
		if (!manual) writeState(staticData, state);
		return fired.length > 0 ? [fired.map((item) => ({ json: item.json }))] : null;
	} finally {
		pollEnded();
	}
}

/** One watched task's progress, or what kept the poll from reading it. */
async function look(run: EverGisRun, taskId: string): Promise<Look> {
	try {
		const progress = await getTaskProgress(run, taskId, {
			maxAttempts: 1,
			timeoutMs: POLL_REQUEST_TIMEOUT_MS,
		});
		return { taskId, kind: 'progress', progress };
	} catch (error) {
		return classify(taskId, error);
	}
}

/** The trigger a poll belongs to: its workflow and node (pollsUnderWay.ts). */
function triggerOf(context: IPollFunctions): string {
	return `${context.getWorkflow().id ?? ''}/${context.getNode().id}`;
}

function classify(taskId: string, error: unknown): Look {
	const facts = failureOf(error);
	if (facts?.configuration || facts === undefined) return { taskId, kind: 'fatal', error };
	if (facts.canceled || facts.login || isTransientError(error) || facts.status === undefined) {
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
 * The poll fails when EverGIS rejected the credentials for every task (401 even after n8n logged
 * in again, or 403): that needs the user. When not one task could be read because EverGIS or the
 * way to it is down, only a manual run fails (the user is looking); an active trigger asks again
 * at its next poll.
 */
function pollFailure(looks: Look[], manual: boolean): unknown {
	if (looks.length === 0 || looks.some((look) => look.kind === 'progress')) return undefined;
	const rejected = looks.every(
		(look) => look.kind === 'gone' && (look.httpCode === 401 || look.httpCode === 403),
	);
	const unreachable = looks.every((look) => {
		const facts = look.kind === 'skipped' ? failureOf(look.error) : undefined;
		return (
			facts !== undefined && (wasNeverSent(facts) || facts.timedOut || facts.login !== undefined)
		);
	});
	const [first] = looks;
	if (first.kind === 'progress') return undefined;
	return rejected || (manual && unreachable) ? first.error : undefined;
}
