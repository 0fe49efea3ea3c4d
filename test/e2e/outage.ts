/**
 * EverGIS Tiling Trigger across two outages of EverGIS, as a real n8n runs it: the login answers a
 * proxy's HTML 502 page (nginx's) while n8n activates the trigger (its first poll), and again
 * later, at run time, when a poll must log in (the sandbox's tokens are short). Used by the e2e
 * suite (n8n 2.40.7) and the compatibility suite (every release, and 2.40.7's durable scheduler).
 *
 * The timeline, one poll a minute (n8n's every-minute schedule):
 *   poll 1 (activation)  login → HTML 502: no item, a warning in n8n's log, the activation succeeds;
 *                        the tasks meant for it end now, and the outage ends;
 *   poll 2               fires the tasks that ended before and during the outage; the others are
 *                        seen running; then the second outage starts and they end;
 *   poll 3               login → HTML 502 (the token died since poll 2): no item, a warning;
 *                        the outage ends;
 *   poll 4               fires the tasks that ended during the second outage.
 */
import type { FinishStatus, Sandbox } from '../../sandbox';
import { login, upload, createTask } from '../sandbox/helpers/client';
import { newN8nId, sleep, type N8nProcess, type WorkflowJson } from '../real-n8n';
import type { LoggedRequest, RequestLog } from './support';

/** The package's warning when a poll could not read some tasks (nodes/EverGis/trigger/poll.ts). */
export const UNREAD_WARNING =
	/EverGIS Tiling Trigger: (\d+) of (\d+) tasks could not be read now; the next poll asks them again/;

/**
 * What n8n logs when a trigger's activation fails or is tried again: 1.x and 2.0 ("Issue on initial
 * workflow activation try", "Try to activate workflow", "… did fail with error", "Will try to
 * reactivate"), 2.40 ("There was a problem activating the workflow", "… some triggers failed to
 * activate", "Failed to reactivate trigger node").
 */
export const ACTIVATION_TROUBLE =
	/problem activating|Issue on initial workflow activation|Try to activate workflow|did fail with (the )?error|Will try to reactivate|failed to activate|Failed to reactivate/i;

/** From now on, every login answer at the sandbox is nginx's HTML 502 page. */
export function startLoginOutage(sandbox: Sandbox): number {
	sandbox.setOptions({ faults: { login: { rate: 1, kinds: ['html'] } } });
	return Date.now();
}

export function endLoginOutage(sandbox: Sandbox): number {
	sandbox.setOptions({ faults: {} });
	return Date.now();
}

/** Logins the sandbox answered with the 502 page between `from` and `to`. */
export function failedLogins(log: RequestLog, from: number, to = Infinity): LoggedRequest[] {
	return log.requests.filter(
		(request) =>
			request.method === 'POST' &&
			request.path.endsWith('/account/login') &&
			request.outcome === '502' &&
			request.at >= from &&
			request.at <= to,
	);
}

/** n8n's lines that carry the package's warning. */
export function unreadWarnings(n8n: N8nProcess): string[] {
	return n8n.lines.filter((line) => UNREAD_WARNING.test(line));
}

export interface Outage {
	from: number;
	to: number;
	/** The logins answered with the 502 page meanwhile (one per poll: the poll's token check). */
	logins: LoggedRequest[];
	/** The package's warnings n8n logged meanwhile ("N of M tasks could not be read now"). */
	warnings: string[];
}

export interface OutageTimeline {
	first: Outage;
	/** When the poll between the outages had seen every task of the second outage running. */
	healthyPollAt: number;
	second: Outage;
}

export interface OutagePlan {
	sandbox: Sandbox;
	/** The sandbox's request log. */
	log: RequestLog;
	/**
	 * The n8n process, started after the first outage began: every warning it logged counts (it may
	 * have activated the trigger, and logged its first poll, before the driver was called).
	 */
	n8n: N8nProcess;
	/** When the first outage started (startLoginOutage(), before n8n activated the trigger). */
	firstFrom: number;
	/** Running tasks to end during the first outage, and how. */
	endDuringFirst: Array<[string, FinishStatus]>;
	/** Running tasks that the poll between the outages sees running; they end during the second. */
	endDuringSecond: Array<[string, FinishStatus]>;
	/** Runs right after that poll, before the second outage (the next poll is a minute away). */
	betweenOutages?: () => Promise<void>;
	/** For each wait (a poll is at most a minute away, n8n's start is slower); default 180 s. */
	timeoutMs?: number;
}

/** Drives the two outages (see the file's comment); the caller reads the firings from n8n. */
export async function driveOutages(plan: OutagePlan): Promise<OutageTimeline> {
	const { sandbox, log, n8n } = plan;
	const timeoutMs = plan.timeoutMs ?? 180_000;

	// Poll 1, at activation: its login got the 502 page and it said so in n8n's log.
	await log.waitFor(
		() => failedLogins(log, plan.firstFrom).length > 0,
		timeoutMs,
		'a login answered with the HTML 502 page (the activation poll)',
	);
	await waitForLines(n8n, 1, timeoutMs);
	for (const [id, status] of plan.endDuringFirst) sandbox.finishTask(id, status);
	const firstTo = endLoginOutage(sandbox);

	// Poll 2: every task of the second outage answered (running).
	await log.waitFor(
		() =>
			plan.endDuringSecond.every(([id]) =>
				log.progressOf(id).some((request) => request.at > firstTo && request.outcome === '200'),
			),
		timeoutMs,
		'the first poll after the first outage',
	);
	const healthyPollAt = Date.now();
	// Counted now, not when the outage ended: a poll whose login failed just before may not have
	// logged yet then (the poll between the outages read every task: it logs nothing).
	const first: Outage = {
		from: plan.firstFrom,
		to: firstTo,
		logins: failedLogins(log, plan.firstFrom, firstTo),
		warnings: unreadWarnings(n8n),
	};
	await plan.betweenOutages?.();

	const secondFrom = startLoginOutage(sandbox);
	for (const [id, status] of plan.endDuringSecond) sandbox.finishTask(id, status);
	const warningsThen = unreadWarnings(n8n).length;
	// Poll 3: its token died since poll 2, and the login got the 502 page.
	await log.waitFor(
		() => failedLogins(log, secondFrom).length > 0,
		timeoutMs,
		'a login answered with the HTML 502 page (a poll at run time)',
	);
	await waitForLines(n8n, warningsThen + 1, timeoutMs);
	const secondTo = endLoginOutage(sandbox);
	// Time for a poll whose login failed just before the end to log its warning.
	await sleep(1_000);
	return {
		first,
		healthyPollAt,
		second: {
			from: secondFrom,
			to: secondTo,
			logins: failedLogins(log, secondFrom, secondTo),
			warnings: unreadWarnings(n8n).slice(warningsThen),
		},
	};
}

async function waitForLines(n8n: N8nProcess, count: number, timeoutMs: number): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (unreadWarnings(n8n).length < count) {
		if (!n8n.process.running)
			throw new Error(`${n8n.name} exited; last lines:\n${n8n.process.tail(40)}`);
		if (Date.now() > deadline) {
			throw new Error(
				`${n8n.name}: fewer than ${count} lines matching ${UNREAD_WARNING} within ${timeoutMs} ms; last lines:\n${n8n.process.tail(40)}`,
			);
		}
		await sleep(200);
	}
}

/** A one-line summary of an outage, for the suites' output. */
export function describeOutage(outage: Outage): string {
	return (
		`${((outage.to - outage.from) / 1000).toFixed(1)} s, ${outage.logins.length} login(s) answered 502, ` +
		`${outage.warnings.length} warning(s): ${[...new Set(outage.warnings.map((line) => UNREAD_WARNING.exec(line)?.[0] ?? line))].join(' | ')}`
	);
}

/**
 * Creates tiling tasks at the sandbox as a client would (log in, upload, create), each running for
 * `durationMs` (0: ends at once, by the raster check; null: until finishTask). Returns their IDs.
 */
export async function createTestTasks(
	sandbox: Sandbox,
	tasks: Array<{ name: string; bytes: Buffer; durationMs: number | null }>,
	user = { username: 'demo', password: 'demo-password' },
): Promise<string[]> {
	const before = sandbox.options.taskDurationMs;
	const session = await login(sandbox, user.username, user.password);
	const ids: string[] = [];
	try {
		for (const task of tasks) {
			sandbox.setOptions({ taskDurationMs: task.durationMs });
			const stored = await upload(sandbox, session, task.name, task.bytes);
			if (stored.status !== 200) throw new Error(`upload of ${task.name}: HTTP ${stored.status}`);
			const created = await createTask(sandbox, session, {
				files: [(stored.body.fileId as string | undefined) ?? task.name],
				attributes: { name: task.name },
				polygonize: false,
				useCog: true,
				target: {
					type: 'tileFeatureLayerTaskDataStorage',
					serviceName: 'demo.landsat_images',
					createNewService: false,
				},
			});
			if (created.status !== 200) throw new Error(`task of ${task.name}: HTTP ${created.status}`);
			ids.push(created.body.taskId as string);
		}
	} finally {
		sandbox.setOptions({ taskDurationMs: before });
	}
	return ids;
}

/**
 * A workflow of one EverGIS Tiling Trigger watching `taskIds`, every minute unless `pollTimes`
 * (the node's Poll Times entries) says otherwise.
 */
export function triggerOnlyWorkflow(
	name: string,
	credential: { id: string; name: string },
	taskIds: string[],
	pollTimes: Array<Record<string, string>> = [{ mode: 'everyMinute' }],
): WorkflowJson & { id: string } {
	return {
		id: newN8nId(),
		name,
		nodes: [
			{
				id: newN8nId(),
				name: 'When tiling ends',
				type: 'n8n-nodes-evergis.everGisTilingTrigger',
				typeVersion: 1,
				position: [0, 0],
				parameters: { pollTimes: { item: pollTimes }, taskIds: taskIds.join('\n') },
				credentials: { everGisApi: { ...credential } },
			},
		],
		connections: {},
		settings: { executionOrder: 'v1' },
	};
}
