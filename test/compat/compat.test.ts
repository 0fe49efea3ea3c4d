/**
 * Compatibility: this package, packed with `npm pack` and installed by hand into
 * `<userFolder>/.n8n/nodes` as n8n's docs describe, in several n8n releases (test/compat/releases.json;
 * installed by scripts/real-n8n/install.sh <version>), each against its own EverGIS sandbox whose
 * tokens live 3 s. Per release: one `n8n execute` of a workflow holding the seed flow, Continue On
 * Fail, Task → Cancel and the four bad inputs; then one `n8n start` for the node types, the trigger
 * across two outages of EverGIS (four polls) and, between them, an execution canceled while it
 * waits; where the release has n8n 2.40's durable scheduler, a second `n8n start` with it, beside
 * the first, for the same outages. Prints a table release × check.
 * `npm run test:compat` (EVERGIS_COMPAT_VERSIONS=all for every release); see test/compat/README.md.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import {
	createUserFolder,
	ensureN8nInstalled,
	executeWorkflow,
	exportNodeTypes,
	importCredentials,
	importWorkflow,
	nodeItems,
	packPackage,
	publishWorkflow,
	repoRoot,
	sleep,
	startN8n,
	stopAll,
	timingSummary,
	waitForExecutions,
	waitForWebhook,
	workflowRows,
	newN8nId,
	type CredentialJson,
	type ExecuteResult,
	type ExecutionRecord,
	type N8nProcess,
	type UserFolder,
	type WorkflowJson,
} from '../real-n8n';
import { startSandbox, type Sandbox } from '../../sandbox';
import { createTask, login, upload } from '../sandbox/helpers/client';
import { N8nRest } from '../e2e/n8n-rest';
import {
	ACTIVATION_TROUBLE,
	createTestTasks,
	describeOutage,
	driveOutages,
	endLoginOutage,
	startLoginOutage,
	triggerOnlyWorkflow,
	UNREAD_WARNING,
	type OutageTimeline,
} from '../e2e/outage';
import { RequestLog } from '../e2e/support';
import { selectedReleases, type Release } from './releases';
import { ResultTable, type Cell } from './table';
import {
	CANCEL_WEBHOOK_PATH,
	checksWorkflow,
	NODES,
	TILING,
	TRIGGER,
	triggerWorkflow,
	WAIT_NODE,
	FAILED_POLLS,
	waitWorkflow,
	type CheckCredentials,
} from './workflows';

const ROOT = repoRoot();
const RASTERS = join(ROOT, 'test', 'fixtures', 'rasters');
const USER = 'demo';
const PASSWORD = 'demo-password';
const WRONG_PASSWORD = 'not-the-demo-password-7';
/** Short enough that the seed flow's wait outlives the first token. */
const TOKEN_LIFETIME_MS = 3_000;
/** How long a task of the workflows runs in the sandbox. */
const TASK_MS = 6_000;

const releases = selectedReleases();
const table = new ResultTable(releases.map((release) => release.version));

/** The rows of the table, in order. */
const CHECK = {
	install: 'install (cached, or the whole install)',
	setup: 'user folder, tarball, imports',
	execute: 'n8n execute: the next 7 checks in one run',
	seed: 'seed flow → Completed, re-login mid-run',
	continueOnFail: 'Continue On Fail: an error item',
	taskCancel: 'Task → Cancel on a running task',
	wrongPassword: 'bad input: wrong password',
	noPrefix: 'bad input: Host without /sp',
	unknownCatalog: 'bad input: unknown catalog',
	missingBinary: 'bad input: missing binary',
	load: 'both node types load, no load error',
	start: 'n8n start ready',
	canceled: 'canceled in a retry wait: cancel → node end',
	trigger: 'trigger: HTML 502 at activation and at run time, once per task',
	scheduler: 'durable scheduler: the same outages, once per task',
	slow: 'trigger: slow EverGIS, overlapping polls, once per task',
	schedulerSlow: 'durable scheduler: slow EverGIS, overlapping polls, once per task',
} as const;

/**
 * The slow-EverGIS check (slowEverGisCheck): in the release the e2e suite uses only (about a minute
 * of n8n's time per n8n start, beside the other checks). Older releases start polls the same way
 * (read in their code: n8n-core 1.x active-workflows.js `activatePolling`).
 */
const SLOW = {
	releases: new Set(['2.40.7']),
	tasks: 8,
	/** More than half the 10 s between two polls. */
	latencyMs: 7_000,
	/** Polls at seconds 0, 10, 30 and 40: one at 0 (or 30) is followed 10 s later by another. */
	pollTimes: ['0', '10', '30', '40'].map((second) => ({
		mode: 'custom',
		cronExpression: `${second} * * * * *`,
	})),
};

/** The rows a release must have: the scheduler's and the slow check's only where they run. */
function rowsOf(version: string, scheduler: boolean): string[] {
	const slow = SLOW.releases.has(version);
	return Object.values(CHECK).filter(
		(row) =>
			(scheduler || (row !== CHECK.scheduler && row !== CHECK.schedulerSlow)) &&
			(slow || (row !== CHECK.slow && row !== CHECK.schedulerSlow)),
	);
}

/** The last row: the release's time in all. */
const TOTAL = 'the release in all';

/** The rows each release must have (the scheduler's only where the release has one). */
const expectedRows = new Map<string, string[]>();

let tarball: string;

beforeAll(async () => {
	tarball = await packPackage();
});

afterAll(async () => {
	await stopAll();
	process.stderr.write(
		`\n[compat] n8n releases × checks (${releases.map((r) => `${r.version}: ${r.role}, ${r.node}`).join('; ')}):\n\n` +
			`${table.render()}\n\n[compat] steps:\n${timingSummary()}\n`,
	);
});

for (const release of releases) {
	test(`n8n ${release.version} (${release.role}, ${release.node})`, async () => {
		const start = Date.now();
		await runRelease(release);
		// What the release took in all, the n8n start part of it (the minute polls) included.
		table.record(TOTAL, release.version, { ok: true, ms: Date.now() - start });
		expect(table.failures(release.version)).toEqual([]);
		expect(
			table.missing(release.version, expectedRows.get(release.version) ?? Object.values(CHECK)),
		).toEqual([]);
	});
}

/** Runs `action` as one check of this release: records pass/fail and its time, never throws. */
function checker(version: string) {
	return async function check<T>(
		row: string,
		action: () => Promise<T>,
		timeOf?: (value: T) => number | undefined,
		remark?: (value: T) => string | undefined,
	): Promise<T | undefined> {
		const start = Date.now();
		try {
			const value = await action();
			table.record(row, version, {
				ok: true,
				ms: timeOf?.(value) ?? Date.now() - start,
				note: remark?.(value),
			});
			return value;
		} catch (error) {
			table.record(row, version, { ok: false, ms: Date.now() - start, note: noteOf(error) });
			return undefined;
		}
	};
}

/** An error in one line: its first line and, when it quotes a process's output, the last lines. */
function noteOf(error: unknown): string {
	const lines = (error instanceof Error ? error.message : String(error))
		.split('\n')
		.map((line) => line.trim())
		.filter(Boolean);
	const text = lines.length <= 1 ? lines.join('') : `${lines[0]} ${lines.slice(-3).join(' ⏎ ')}`;
	return text.length > 500 ? `${text.slice(0, 497)}...` : text;
}

function fail(message: string): never {
	throw new Error(message);
}

/** Whether the install has `n8n export:nodes` (1.85.3 has not: the node types then come from REST). */
function hasExportNodes(folder: UserFolder): boolean {
	return existsSync(
		join(folder.install.app, 'node_modules', 'n8n', 'dist', 'commands', 'export', 'nodes.js'),
	);
}

/**
 * Lines where n8n says it could not load something of this package (not the trigger's own warning
 * that a poll could not read its tasks: the sandbox is down while n8n activates it).
 */
function loadErrors(lines: string[]): string[] {
	return lines.filter(
		(line) =>
			!UNREAD_WARNING.test(line) &&
			((/evergis/i.test(line) && /\b(error|fail(ed)?|could not|cannot)\b/i.test(line)) ||
				/error (while )?loading|failed to load/i.test(line)),
	);
}

/** A run's node output, or why there is none. */
function outputOf(result: ExecuteResult, node: string): Array<Record<string, unknown>> {
	const run = result.runData[node]?.[0];
	if (!run) fail(`${node} did not run (ran: ${Object.keys(result.runData).join(', ')})`);
	if (run.error) fail(`${node} failed: ${String(run.error.message ?? JSON.stringify(run.error))}`);
	return nodeItems(result.runData, node);
}

function nodeMs(result: ExecuteResult, node: string): number | undefined {
	return result.runData[node]?.[0]?.executionTime;
}

/** The `error` of a Continue On Fail item, checked against `expected`. */
function expectErrorItem(result: ExecuteResult, node: string, expected: RegExp): string {
	const [item, ...rest] = outputOf(result, node);
	if (!item || rest.length > 0)
		fail(`${node}: expected one item, got ${rest.length + (item ? 1 : 0)}`);
	const message = typeof item.error === 'string' ? item.error : undefined;
	if (!message) fail(`${node}: no error item, got ${JSON.stringify(item).slice(0, 200)}`);
	if (!expected.test(message)) fail(`${node}: "${message}" does not match ${expected}`);
	return message;
}

function escape(text: string): string {
	return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

async function runRelease(release: Release): Promise<void> {
	const version = release.version;
	const check = checker(version);
	const requestLog = new RequestLog();
	let sandbox: Sandbox | undefined;
	let slow: SlowEverGis | undefined;
	let folder: UserFolder | undefined;
	let main: N8nProcess | undefined;
	try {
		const install = await check(CHECK.install, () => ensureN8nInstalled(version));
		if (!install) return;

		// ---- setup: sandbox, user folder with the tarball, credentials, workflows, tasks
		const setup = await check(CHECK.setup, async () => {
			sandbox = await startSandbox({
				tokenLifetimeMs: TOKEN_LIFETIME_MS,
				taskDurationMs: TASK_MS,
				log: requestLog.add,
			});
			folder = await createUserFolder({
				n8nVersion: version,
				tarballs: [tarball],
				logLevel: 'info',
			});
			const files = { seed: 'seed', batch: 'batch', small: 'small' };
			const copy = (dir: string, raster: string) => {
				mkdirSync(join(folder!.dataDir, dir), { recursive: true });
				copyFileSync(join(RASTERS, raster), join(folder!.dataDir, dir, raster));
			};
			copy(files.seed, 'RGB.byte.tif');
			copy(files.batch, 'rgb-byte-tenth.tif');
			copy(files.batch, 'corrupt.tif');
			copy(files.small, 'rgb-byte-tenth.tif');
			const data = {
				host: sandbox.url,
				username: USER,
				password: PASSWORD,
				ignoreSslIssues: false,
			};
			if (SLOW.releases.has(version)) slow = await prepareSlowEverGis();
			const [good, wrongPassword, noPrefix] = await importCredentials(folder, [
				{ name: 'EverGIS sandbox', type: 'everGisApi', data },
				{
					name: 'EverGIS wrong password',
					type: 'everGisApi',
					data: { ...data, password: WRONG_PASSWORD },
				},
				{
					name: 'EverGIS without /sp',
					type: 'everGisApi',
					data: { ...data, host: sandbox.origin },
				},
				...(slow ? [slow.credential] : []),
			]);
			const credentials: CheckCredentials = {
				good: { id: good, name: 'EverGIS sandbox' },
				wrongPassword: { id: wrongPassword, name: 'EverGIS wrong password' },
				noPrefix: { id: noPrefix, name: 'EverGIS without /sp' },
			};

			// Tasks for n8n start: A ends at once (fires at the first poll), C runs until the first
			// poll has seen it (fires at the second), W never ends (the canceled execution waits on it).
			const session = await login(sandbox, USER, PASSWORD);
			const submit = async (name: string, durationMs: number | null) => {
				sandbox!.setOptions({ taskDurationMs: durationMs });
				const stored = await upload(sandbox!, session, name, readRaster('rgb-byte-tenth.tif'));
				const created = await createTask(sandbox!, session, {
					files: [(stored.body.fileId as string | undefined) ?? name],
					attributes: { name },
					polygonize: false,
					useCog: true,
					target: {
						type: 'tileFeatureLayerTaskDataStorage',
						serviceName: 'demo.landsat_images',
						createNewService: false,
					},
				});
				if (created.status !== 200) fail(`creating task ${name}: HTTP ${created.status}`);
				return created.body.taskId as string;
			};
			const tasks = {
				A: await submit('compat-A.tif', 0),
				C: await submit('compat-C.tif', null),
				W: await submit('compat-W.tif', null),
			};
			sandbox.setOptions({ taskDurationMs: TASK_MS });

			const checks = checksWorkflow(credentials, {
				seed: join(folder.dataDir, files.seed, 'RGB.byte.tif'),
				batch: `${join(folder.dataDir, files.batch)}/*.tif`,
				small: join(folder.dataDir, files.small, 'rgb-byte-tenth.tif'),
			});
			const trigger = triggerWorkflow(credentials.good, [tasks.A, tasks.C]);
			const wait = waitWorkflow(credentials.good);
			await importWorkflow(folder, [checks, trigger, wait, ...(slow ? [slow.workflow] : [])]);
			return { checks, trigger, wait, checksId: checks.id!, tasks };
		});
		if (!setup || !folder || !sandbox) return;
		const sb = sandbox;
		const userFolder = folder;
		const tasks = setup.tasks;

		// ---- n8n export:nodes (where the release has it), before start
		let exported: { types: string[]; ms: number } | undefined;
		let exportError: string | undefined;
		if (hasExportNodes(userFolder)) {
			const start = Date.now();
			try {
				const types = await exportNodeTypes(userFolder);
				exported = { types: types.map((type) => type.name), ms: Date.now() - start };
			} catch (error) {
				exportError = String(error).split('\n')[0];
			}
		}

		// ---- one n8n execute: seed flow, Continue On Fail, Task → Cancel, bad inputs
		const requestsBefore = requestLog.requests.length;
		const result = await check(CHECK.execute, async () => {
			const run = await executeWorkflow(userFolder, setup.checksId);
			if (run.error) fail(`the run failed: ${JSON.stringify(run.error).slice(0, 300)}`);
			return run;
		});
		const executed = <T>(row: string, node: string, verify: (run: ExecuteResult) => T) =>
			check(
				row,
				async () => verify(result ?? fail('n8n execute gave no run data')),
				() => (result ? nodeMs(result, node) : undefined),
				(value) => (typeof value === 'string' ? value : undefined),
			);

		await executed(CHECK.seed, NODES.seed, (run) => {
			const [item] = outputOf(run, NODES.seed);
			if (item?.status !== 'Completed' || !((item.tilesCreated as number) > 0)) {
				fail(`the seed task ended ${String(item?.status)}: ${JSON.stringify(item).slice(0, 200)}`);
			}
			// A login while the task ran (the first token died during the wait).
			const task = sb.tasks().find((t) => t.id === item.taskId) ?? fail('no such task');
			const seedRun = run.runData[NODES.seed][0];
			const end = (seedRun.startTime ?? 0) + (seedRun.executionTime ?? 0);
			const relogins = requestLog.requests
				.slice(requestsBefore)
				.filter(
					(r) =>
						r.method === 'POST' &&
						r.path.endsWith('/account/login') &&
						r.outcome === '200' &&
						r.at > Date.parse(task.createdAt) &&
						r.at <= end + 50,
				);
			if (relogins.length === 0) fail('no login while the seed task ran');
			return `${String(item.status)}, ${String(item.tilesCreated)} tiles, ${relogins.length} login(s) while the task ran`;
		});

		await executed(CHECK.continueOnFail, NODES.continueOnFail, (run) => {
			const items = outputOf(run, NODES.continueOnFail);
			const completed = items.filter((item) => item.status === 'Completed');
			const errors = items.filter((item) => typeof item.error === 'string');
			if (items.length !== 2 || completed.length !== 1 || errors.length !== 1) {
				fail(
					`expected one Completed and one error item, got ${JSON.stringify(items).slice(0, 300)}`,
				);
			}
			if (!/^Tiling task \S+ ended Failed: File '.*' is damaged/.test(errors[0].error as string)) {
				fail(`unexpected error item: ${String(errors[0].error)}`);
			}
		});

		await executed(CHECK.taskCancel, NODES.cancel, (run) => {
			const [item] = outputOf(run, NODES.cancel);
			if (item?.status !== 'Canceled')
				fail(`Task → Cancel gave ${JSON.stringify(item).slice(0, 200)}`);
			const task = sb.tasks().find((t) => t.id === item.taskId);
			if (task?.status !== 'Canceled') fail(`the sandbox has the task ${String(task?.status)}`);
		});

		const item = ' \\[item 0\\]';
		await executed(CHECK.wrongPassword, NODES.wrongPassword, (run) =>
			expectErrorItem(
				run,
				NODES.wrongPassword,
				new RegExp(
					`^EverGIS rejected the login for 'demo' at ${escape(sb.url)} \\(HTTP 401\\)(${item})?$`,
				),
			),
		);
		await executed(CHECK.noPrefix, NODES.noPrefix, (run) =>
			expectErrorItem(
				run,
				NODES.noPrefix,
				new RegExp(
					`^EverGIS login for 'demo' at ${escape(sb.origin)} answered with an HTML page \\(HTTP 404\\), not the EverGIS API(${item})?$`,
				),
			),
		);
		// The catalog check before uploads (EverGIS has no catalog …) or EverGIS's own refusal of the task.
		await executed(CHECK.unknownCatalog, NODES.unknownCatalog, (run) =>
			expectErrorItem(
				run,
				NODES.unknownCatalog,
				/^(EverGIS has no catalog 'demo\.no_such_catalog'|EverGIS refused the request while creating the tiling task for catalog 'demo\.no_such_catalog' \(HTTP 400\)).*/,
			),
		);
		await executed(CHECK.missingBinary, NODES.missingBinary, (run) =>
			expectErrorItem(
				run,
				NODES.missingBinary,
				new RegExp(`^The item has no binary property 'image'(${item})?$`),
			),
		);

		// ---- n8n start (the trigger and wait workflows published): node types, trigger, cancel
		const rest = { client: undefined as N8nRest | undefined };
		const ids = { trigger: setup.trigger.id!, wait: setup.wait.id!, slow: slow?.workflow.id };
		let outageFrom = 0;
		const started = await check(
			CHECK.start,
			async () => {
				// n8n 2.0's import:workflow writes no workflow history, so publish:workflow finds no version
				// to publish ("Version … not found"): such workflows are created and published through the
				// REST API once n8n runs, as the editor's import and Publish do.
				const throughRest: WorkflowJson[] = [];
				for (const workflow of [setup.trigger, setup.wait, ...(slow ? [slow.workflow] : [])]) {
					try {
						await publishWorkflow(userFolder, workflow.id!);
					} catch (error) {
						if (!/Version "[^"]*" not found/.test(String(error))) throw error;
						throughRest.push(workflow);
					}
				}
				// The first outage: every login answers a proxy's HTML 502 while n8n activates the trigger.
				outageFrom = startLoginOutage(sb);
				// Debug level: n8n logs when a node's run ends ("Running node … finished"), which is how the
				// canceled-execution check sees the node itself stop waiting.
				main = await startN8n(userFolder, { env: { N8N_LOG_LEVEL: 'debug' } });
				await main.waitReady();
				await waitForRestApi(main);
				rest.client = new N8nRest(main.baseUrl);
				await rest.client.setupOwner();
				await rest.client.login();
				for (const workflow of throughRest) {
					const id = await createAndPublish(rest.client, workflow);
					if (workflow === setup.trigger) ids.trigger = id;
					else if (workflow === setup.wait) ids.wait = id;
					else ids.slow = id;
				}
				return { throughRest: throughRest.length };
			},
			undefined,
			(value) => (value.throughRest > 0 ? 'published through the REST API' : undefined),
		);
		if (started === undefined || !main || !rest.client) return;
		const n8n: N8nProcess = main;
		const client = rest.client;
		// n8n 2.40's durable scheduler (where the release has it): one more n8n start of its own, run
		// beside this one's checks (they mostly wait for n8n's minute polls).
		const schedulerRun = hasDurableScheduler(userFolder)
			? check(
					CHECK.scheduler,
					() => durableSchedulerCheck(version),
					undefined,
					(note) => note,
				)
			: Promise.resolve(undefined);
		expectedRows.set(version, rowsOf(version, hasDurableScheduler(userFolder)));
		// EverGIS slow, polls overlapping (slowEverGisCheck), beside the other checks: its own sandbox.
		const slowRun =
			slow && ids.slow
				? check(
						CHECK.slow,
						() => slowEverGisCheck(n8n, userFolder, slow!, ids.slow!),
						undefined,
						(note) => note,
					)
				: Promise.resolve(undefined);

		await check(
			CHECK.load,
			async () => {
				if (exportError) fail(`n8n export:nodes failed: ${exportError}`);
				let types = exported?.types;
				if (!types) {
					// No export:nodes in this release: the node types the editor gets.
					const answer = await client.call<Array<{ name: string }>>('GET', '/types/nodes.json');
					if (answer.status !== 200) fail(`/types/nodes.json: HTTP ${answer.status}`);
					types = answer.body.map((type) => type.name);
				}
				const missing = [TILING, TRIGGER].filter((type) => !types.includes(type));
				if (missing.length > 0) fail(`not loaded: ${missing.join(', ')}`);
				const errors = loadErrors([...n8n.lines, ...exportLog(userFolder)]);
				if (errors.length > 0) fail(`load errors: ${errors.slice(0, 3).join(' | ')}`);
			},
			() => exported?.ms,
		);

		// The trigger across two outages of EverGIS (test/e2e/outage.ts): the login answers nginx's
		// HTML 502 page when n8n activates the trigger (A has ended), and again at run time (C ends
		// meanwhile); A fires after the first, C after the second.
		await check(
			CHECK.trigger,
			async () => {
				const timeline = await driveOutages({
					sandbox: sb,
					log: requestLog,
					n8n,
					firstFrom: outageFrom,
					endDuringFirst: [],
					endDuringSecond: [[setup.tasks.C, 'Completed']],
				});
				const records = await waitForExecutions(userFolder, {
					workflowId: ids.trigger,
					includeData: true,
					timeoutMs: 150_000,
					until: (rs) =>
						rs.every((r) => !['new', 'running'].includes(r.status)) &&
						rs.flatMap(firedIds).includes(setup.tasks.C),
				});
				await expectOnceAfterEachOutage(timeline, records, requestLog, n8n, setup.tasks, {
					folder: userFolder,
					workflowId: ids.trigger,
				});
				return timeline;
			},
			undefined,
			(timeline) =>
				`activation: ${describeOutage(timeline.first)}; run time: ${describeOutage(timeline.second)}`,
		);
		endLoginOutage(sb);
		// The canceled execution, after the trigger check: the trigger, all its tasks fired, asks
		// nothing more, so the injected 502s reach the waiting node. (Run between the outages, it
		// raced the trigger's next poll when the machine was busy: that poll took two of the 502s.)
		table.record(CHECK.canceled, version, await cancelCheck());

		async function cancelCheck(): Promise<Cell> {
			// Timed from the stop request to the end of the execution's record and to the end of the
			// node's own run (n8n 1.x and 2.x mark the execution canceled at once, while the node's
			// promise ends only when its wait does).
			const cancelStart = Date.now();
			let canceled: Canceled | undefined;
			let cancelError: string | undefined;
			try {
				canceled = await cancelWhileWaiting(client, n8n, userFolder, requestLog, sb, {
					waitId: ids.wait,
					tasks,
				});
			} catch (error) {
				cancelError = noteOf(error);
			}
			if (canceled) {
				// A wait that ignored the cancel would end within 8 s and send the next request.
				const waitUntil = canceled.at + NEXT_TRY_WITHIN_MS;
				if (Date.now() < waitUntil) await sleep(waitUntil - Date.now());
				const at = canceled.at;
				const after = requestLog.progressOf(tasks.W).filter((r) => r.at > at);
				if (after.length > 0) {
					cancelError = `the canceled wait asked EverGIS again ${after.length} time(s) after the cancel`;
				} else if (canceled.at + canceled.nodeEndedMs >= canceled.backOffEndsAt) {
					cancelError = `${describeCancel(canceled)}: not before its back-off would have ended by itself`;
				} else if (canceled.at + canceled.recordEndedMs >= canceled.backOffEndsAt) {
					cancelError = `${describeCancel(canceled)}: the execution record ended late`;
				}
			}
			return cancelError || !canceled
				? { ok: false, ms: Date.now() - cancelStart, note: cancelError ?? 'not run' }
				: { ok: true, ms: canceled.nodeEndedMs, note: describeCancel(canceled) };
		}
		await slowRun;
		await schedulerRun;
	} finally {
		await main?.stop();
		await sandbox?.close();
		await slow?.sandbox.close();
		folder?.cleanup();
	}
}

/** The shortest back-off after the 5th failed request (half of 8 s: the retry policy's jitter). */
const LAST_BACK_OFF_MIN_MS = 4_000;
/** The longest back-off left when the execution is canceled, and a margin. */
const NEXT_TRY_WITHIN_MS = 9_000;

interface Canceled {
	/** When the stop request was sent (this process's clock, as n8n's: same machine). */
	at: number;
	/** The earliest moment the node's back-off could have ended on its own. */
	backOffEndsAt: number;
	/** From the stop request to the execution record's stoppedAt. */
	recordEndedMs: number;
	/** From the stop request to n8n's "Running node … finished" line for the waiting node. */
	nodeEndedMs: number;
}

function describeCancel(canceled: Canceled): string {
	const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
	return (
		`execution record ended ${seconds(canceled.recordEndedMs)} after the stop request, ` +
		`the node ${seconds(canceled.nodeEndedMs)} after it (its back-off had at least ` +
		`${seconds(canceled.backOffEndsAt - canceled.at)} to go)`
	);
}

/**
 * Starts the wait workflow by its webhook, waits until the node got the sandbox's 5th 502 (it then
 * backs off 4 to 8 s before asking again), cancels the execution through n8n's REST API
 * (`POST /rest/executions/:id/stop`, as the editor's Stop button does) and waits for the execution
 * record and the node's run to end.
 */
async function cancelWhileWaiting(
	rest: N8nRest,
	n8n: N8nProcess,
	folder: UserFolder,
	requestLog: RequestLog,
	sandbox: Sandbox,
	setup: { waitId: string; tasks: { W: string } },
): Promise<Canceled> {
	await waitForWebhook(n8n, CANCEL_WEBHOOK_PATH);
	// The first FAILED_POLLS progress requests get 502; the node backs off before each next one.
	sandbox.failNext('progress', '502', FAILED_POLLS);
	const answer = await fetch(n8n.webhookUrl(CANCEL_WEBHOOK_PATH), {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ taskId: setup.tasks.W }),
	});
	if (answer.status !== 200) fail(`the webhook answered HTTP ${answer.status}`);
	// The execution's id, while the node is in its first back-offs (0.75 to 1.5 s in all).
	await requestLog.waitFor(
		() => requestLog.progressOf(setup.tasks.W).length >= 1,
		60_000,
		'the first progress request of the waiting execution',
	);
	const records = await waitForExecutions(folder, {
		workflowId: setup.waitId,
		until: (rs) => rs.some((r) => r.status === 'running'),
		timeoutMs: 30_000,
		intervalMs: 200,
	});
	const running = records.find((r) => r.status === 'running')!;
	// The last failed request: the node now waits 4 to 8 s before trying again.
	const lastFailure = await requestLog.waitFor(
		() => requestLog.progressOf(setup.tasks.W).filter((r) => r.outcome === '502')[FAILED_POLLS - 1],
		60_000,
		`the ${FAILED_POLLS} failed progress requests of the waiting execution`,
	);
	const nodeFinished = new RegExp(`Running node "${WAIT_NODE}" finished`);
	if (n8n.lines.some((line) => nodeFinished.test(line)))
		fail(`${WAIT_NODE} ended before the cancel`);
	const at = Date.now();
	const nodeEnded = n8n.waitForLine(nodeFinished, 60_000).then(() => Date.now() - at);
	nodeEnded.catch(() => undefined);
	const stop = await rest.call('POST', `/rest/executions/${running.id}/stop`);
	if (stop.status !== 200) fail(`stop: HTTP ${stop.status} ${stop.text.slice(0, 200)}`);
	const [record] = await waitForExecutions(folder, {
		workflowId: setup.waitId,
		until: (rs) => rs.every((r) => !['new', 'running'].includes(r.status)),
		timeoutMs: 60_000,
		intervalMs: 300,
	});
	if (record.status !== 'canceled') fail(`the execution ended ${record.status}`);
	return {
		at,
		backOffEndsAt: lastFailure.at + LAST_BACK_OFF_MIN_MS,
		recordEndedMs: Date.parse(record.stoppedAt ?? '') - at,
		nodeEndedMs: await nodeEnded,
	};
}

/**
 * Waits until n8n's REST API answers (`POST /rest/login` is no longer a 404): n8n 2.0 reports ready
 * a few seconds before its REST routes are registered.
 */
async function waitForRestApi(n8n: N8nProcess, timeoutMs = 60_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const answer = await fetch(`${n8n.baseUrl}/rest/login`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: '{}',
		});
		await answer.text();
		if (answer.status !== 404) return;
		if (Date.now() > deadline) fail(`n8n's REST API still answers 404 after ${timeoutMs} ms`);
		await sleep(500);
	}
}

/** Creates a workflow through n8n 2.x's REST API (which keeps its first version) and publishes it. */
async function createAndPublish(rest: N8nRest, workflow: WorkflowJson): Promise<string> {
	const body = { name: workflow.name, nodes: workflow.nodes, connections: workflow.connections };
	const created = await rest.call<{ data: { id: string; versionId: string } }>(
		'POST',
		'/rest/workflows',
		{ ...body, settings: workflow.settings ?? {}, active: false },
	);
	if (created.status !== 200)
		fail(`creating ${workflow.name}: HTTP ${created.status} ${created.text.slice(0, 200)}`);
	const { id, versionId } = created.body.data;
	const published = await rest.call('POST', `/rest/workflows/${id}/activate`, { versionId });
	if (published.status !== 200)
		fail(`publishing ${workflow.name}: HTTP ${published.status} ${published.text.slice(0, 200)}`);
	return id;
}

function firedIds(record: ExecutionRecord): string[] {
	const runs = record.data?.resultData.runData['When tiling ends'] ?? [];
	return runs.flatMap((run) => (run.data?.main?.[0] ?? []).map((i) => i.json.taskId as string));
}

/** What `n8n export:nodes` printed (its log file), for the load-error scan. */
function exportLog(folder: UserFolder): string[] {
	const file = join(folder.logsDir, 'n8n-export-nodes.log');
	return existsSync(file) ? readFileSync(file, 'utf8').split('\n') : [];
}

function readRaster(name: string): Buffer {
	return readFileSync(join(RASTERS, name));
}

/** Whether the release has n8n 2.40's durable scheduler for poll triggers. */
function hasDurableScheduler(folder: UserFolder): boolean {
	return existsSync(
		join(
			folder.install.app,
			'node_modules',
			'n8n',
			'dist',
			'scheduling',
			'poll-trigger-node',
			'durable-poller-chain.js',
		),
	);
}

/**
 * The trigger's side of the outages: each poll during an outage got the 502 page at its login,
 * said so in n8n's log and threw nothing (a poll that throws while n8n activates is tried again,
 * each time with a login); nothing about activation went wrong in n8n's log, nor in n8n 2.40's
 * trigger status rows; from n8n's execution records, A fired after the first outage and C after the
 * second, each once; the sandbox was asked about A once and about C twice (the poll between the
 * outages, the poll after the second).
 */
async function expectOnceAfterEachOutage(
	timeline: OutageTimeline,
	records: ExecutionRecord[],
	log: RequestLog,
	n8n: N8nProcess,
	tasks: { A: string; C: string },
	where: { folder: UserFolder; workflowId: string },
): Promise<void> {
	for (const [name, outage, unread] of [
		['activation', timeline.first, '2 of 2'],
		['run time', timeline.second, '1 of 1'],
	] as const) {
		const counts = outage.warnings.map((line) =>
			UNREAD_WARNING.exec(line)!.slice(1, 3).join(' of '),
		);
		if (outage.logins.length === 0 || outage.warnings.length !== outage.logins.length) {
			const around = log.requests
				.filter((r) => r.at >= outage.from && r.at <= outage.to)
				.map((r) => `${new Date(r.at).toISOString()} ${r.method} ${r.path} ${r.outcome}`);
			const trouble = n8n.lines.filter((line) => ACTIVATION_TROUBLE.test(line)).slice(0, 3);
			fail(
				`outage at ${name}: ${outage.logins.length} login(s) answered 502 but ${outage.warnings.length} warning(s) ` +
					`(requests: ${around.join(', ')}; warnings: ${outage.warnings.join(' / ')}; n8n: ${trouble.join(' / ')})`,
			);
		}
		if (counts.some((count) => count !== unread)) {
			fail(`outage at ${name}: warnings say ${counts.join(', ')}, expected ${unread}`);
		}
	}
	const trouble = n8n.lines.filter((line) => ACTIVATION_TROUBLE.test(line));
	if (trouble.length > 0) fail(`n8n logged: ${trouble.slice(0, 2).join(' | ')}`);
	// n8n 2.40 records each trigger's activation (older releases have no such table: []).
	const statuses = await workflowRows(
		where.folder,
		'workflow_publication_trigger_status',
		where.workflowId,
	);
	if (statuses.some((row) => row.status !== 'activated')) {
		fail(
			`trigger status: ${JSON.stringify(statuses.map(({ status, errorMessage }) => ({ status, errorMessage })))}`,
		);
	}
	const fired = records.map(firedIds);
	if (JSON.stringify(fired) !== JSON.stringify([[tasks.A], [tasks.C]])) {
		fail(`the trigger's executions fired ${JSON.stringify(fired)}, expected [[A], [C]]`);
	}
	const [afterFirst, afterSecond] = records.map((r) => Date.parse(r.startedAt ?? ''));
	if (!(afterFirst > timeline.first.to && afterSecond > timeline.second.to)) {
		fail(`executions at ${records.map((r) => r.startedAt).join(', ')}: not each after its outage`);
	}
	const asked = [tasks.A, tasks.C].map((id) => log.progressOf(id).length);
	if (JSON.stringify(asked) !== '[1,2]') {
		fail(`the sandbox was asked about A ${asked[0]} and C ${asked[1]} times, expected 1 and 2`);
	}
}

/**
 * n8n 2.40's durable scheduler (N8N_SCHEDULER_ENABLED, N8N_SCHEDULER_POLL_TRIGGERS_ENABLED,
 * N8N_POLLER_DURABLE_CURSORS_ENABLED): polls run as leased tasks, each with a fresh context and a
 * budget of its own, and the trigger's state lives in the durable cursor. The same two outages as
 * the trigger check, with a user folder, a sandbox (3-s tokens) and an `n8n start` of its own.
 */
async function durableSchedulerCheck(version: string): Promise<string> {
	const log = new RequestLog();
	const sandbox = await startSandbox({ tokenLifetimeMs: TOKEN_LIFETIME_MS, log: log.add });
	let folder: UserFolder | undefined;
	let n8n: N8nProcess | undefined;
	let slow: SlowEverGis | undefined;
	let slowRun: Promise<unknown> = Promise.resolve();
	try {
		folder = await createUserFolder({ n8nVersion: version, tarballs: [tarball] });
		const [A, C] = await createTestTasks(sandbox, [
			{ name: 'scheduler-A.tif', bytes: readRaster('rgb-byte-tenth.tif'), durationMs: 0 },
			{ name: 'scheduler-C.tif', bytes: readRaster('rgb-byte-tenth.tif'), durationMs: null },
		]);
		const credential = { id: '', name: 'EverGIS sandbox (scheduler)' };
		if (SLOW.releases.has(version)) slow = await prepareSlowEverGis();
		[credential.id] = await importCredentials(folder, [
			{
				name: credential.name,
				type: 'everGisApi',
				data: { host: sandbox.url, username: USER, password: PASSWORD, ignoreSslIssues: false },
			},
			...(slow ? [slow.credential] : []),
		]);
		const workflow = triggerOnlyWorkflow(
			'Compat: trigger under the durable scheduler',
			credential,
			[A, C],
		);
		const [id] = await importWorkflow(folder, [workflow, ...(slow ? [slow.workflow] : [])]);
		await publishWorkflow(folder, id);
		if (slow) await publishWorkflow(folder, slow.workflow.id);
		const firstFrom = startLoginOutage(sandbox);
		n8n = await startN8n(folder, {
			name: 'main-scheduler',
			env: {
				N8N_SCHEDULER_ENABLED: 'true',
				N8N_SCHEDULER_POLL_TRIGGERS_ENABLED: 'true',
				N8N_POLLER_DURABLE_CURSORS_ENABLED: 'true',
			},
		});
		await n8n.waitReady();
		// EverGIS slow, polls overlapping, beside the outages: a row of its own.
		if (slow) {
			const [started, folderNow, slowNow] = [n8n, folder, slow];
			slowRun = checker(version)(
				CHECK.schedulerSlow,
				() => slowEverGisCheck(started, folderNow, slowNow, slowNow.workflow.id),
				undefined,
				(note) => note,
			);
		}
		const timeline = await driveOutages({
			sandbox,
			log,
			n8n,
			firstFrom,
			endDuringFirst: [],
			endDuringSecond: [[C, 'Completed']],
		});
		const records = await waitForExecutions(folder, {
			workflowId: id,
			includeData: true,
			timeoutMs: 150_000,
			until: (rs) =>
				rs.every((r) => !['new', 'running'].includes(r.status)) && rs.flatMap(firedIds).includes(C),
		});
		await expectOnceAfterEachOutage(
			timeline,
			records,
			log,
			n8n,
			{ A, C },
			{ folder, workflowId: id },
		);
		// Every poll after the one at activation ran as a leased task of the scheduler, and none failed.
		const polls = await workflowRows(folder, 'scheduled_task', id);
		if (
			polls.length < 3 ||
			polls.some((poll) => poll.taskType !== 'workflow:poll-trigger' || poll.status !== 'succeeded')
		) {
			fail(
				`the scheduler's tasks: ${JSON.stringify(polls.map(({ taskType, status, errorMessage }) => ({ taskType, status, errorMessage })))}`,
			);
		}
		// The polls ran with the durable cursor: the trigger's state is in poller_state, not in the
		// workflow's static data.
		const [cursor] = await workflowRows(folder, 'poller_state', id);
		const ended = (cursor?.cursor as { ended?: Record<string, string> } | undefined)?.ended;
		if (JSON.stringify(ended) !== JSON.stringify({ [A]: 'Completed', [C]: 'Completed' })) {
			fail(`the durable cursor holds ${JSON.stringify(cursor ?? null)}`);
		}
		return `activation: ${describeOutage(timeline.first)}; run time: ${describeOutage(timeline.second)}; ${polls.length} polls as scheduler tasks, all succeeded; cursor ended: A, C`;
	} finally {
		await slowRun;
		await n8n?.stop();
		await sandbox.close();
		await slow?.sandbox.close();
		folder?.cleanup();
	}
}

/**
 * The slow-EverGIS check's own sandbox and tasks, and the credential and trigger workflow the caller
 * imports with its own (one CLI call each: every one boots n8n).
 */
interface SlowEverGis {
	sandbox: Sandbox;
	log: RequestLog;
	tasks: string[];
	credential: CredentialJson & { id: string };
	workflow: WorkflowJson & { id: string };
}

async function prepareSlowEverGis(): Promise<SlowEverGis> {
	const log = new RequestLog();
	const sandbox = await startSandbox({ log: log.add });
	const tasks = await createTestTasks(
		sandbox,
		Array.from({ length: SLOW.tasks }, (_, index) => ({
			name: `slow-${index}.tif`,
			bytes: readRaster('rgb-byte-tenth.tif'),
			durationMs: null,
		})),
	);
	const credential = {
		id: newN8nId(),
		name: 'EverGIS sandbox (slow)',
		type: 'everGisApi',
		data: { host: sandbox.url, username: USER, password: PASSWORD, ignoreSslIssues: false },
	};
	const workflow = triggerOnlyWorkflow(
		'Compat: trigger, EverGIS slow, polls 10 s apart',
		{ id: credential.id, name: credential.name },
		tasks,
		SLOW.pollTimes,
	);
	return { sandbox, log, tasks, credential, workflow };
}

/** What the trigger logs when it finds another poll of its trigger under way (trigger/poll.ts). */
const STILL_UNDER_WAY = 'EverGIS Tiling Trigger: another poll of this trigger is still under way';

/**
 * EverGIS answering slowly while n8n starts the polls of one trigger on top of each other (issue
 * 24): an operator's n8n 2.40.7, EverGIS answering in about 21 s and a trigger every minute
 * watching 24 ended tasks, fired 13 of them twice, since n8n starts a poll whether the last has
 * ended or not, and both polls read the ended tasks at their start. In its smallest form: a
 * trigger with four Poll Times (seconds 0, 10, 30, 40) watching 8 tasks on a sandbox of its own.
 * The poll at activation sees them running; a few seconds before a poll at second 0 or 30 they all
 * end and every answer starts taking 7 s (more than half the 10 s between polls). That poll reads
 * them in two rounds (the request limit starts at 4: about 14 s), so the poll 10 s after it starts
 * while it runs. Passes when that poll asked nothing and said so in n8n's log, each task was asked
 * once after the slowdown, and n8n's executions fired each task once.
 */
async function slowEverGisCheck(
	n8n: N8nProcess,
	folder: UserFolder,
	slow: SlowEverGis,
	workflowId: string,
): Promise<string> {
	const { sandbox, log, tasks } = slow;
	await log.waitFor(
		() => tasks.every((id) => log.progressOf(id).some((request) => request.outcome === '200')),
		180_000,
		'the poll at activation asked every task',
	);
	// 2 to 8 s before a poll at second 0 or 30 of a minute (the Poll Times' seconds are n8n's clock's,
	// the same machine's).
	const intoHalfMinute = (Date.now() % 30_000) / 1000;
	if (intoHalfMinute < 22 || intoHalfMinute > 28) {
		await sleep((((22 - intoHalfMinute + 30) % 30) + 0.2) * 1000);
	}
	const slowFrom = Date.now();
	const tickAt = Math.ceil(slowFrom / 30_000) * 30_000;
	try {
		sandbox.setOptions({ latencyMs: SLOW.latencyMs });
		for (const id of tasks) sandbox.finishTask(id, 'Completed');
		// That poll ends about 14 s after its tick; one that asked again would fire about 24 s after.
		await sleep(tickAt + 32_000 - Date.now());
		const records = await waitForExecutions(folder, {
			workflowId,
			includeData: true,
			timeoutMs: 60_000,
			until: (rs) =>
				rs.every((r) => !['new', 'running'].includes(r.status)) &&
				tasks.every((id) => rs.flatMap(firedIds).includes(id)),
		});
		const fired = records.flatMap(firedIds);
		if (fired.length !== tasks.length) {
			fail(
				`n8n's executions fired ${fired.length} tasks for ${tasks.length} (${records.length} executions): a task fired twice`,
			);
		}
		const asked = tasks.map((id) => log.progressOf(id).filter((r) => r.at > slowFrom).length);
		if (asked.some((count) => count !== 1)) {
			fail(`each task asked once after the slowdown, but: ${asked.join(', ')}`);
		}
		const skipped = n8n.lines.filter((line) => line.includes(STILL_UNDER_WAY));
		if (skipped.length === 0)
			fail('no poll found the last one under way: the polls did not overlap');
		return `${records.length} execution(s) fired the ${tasks.length} tasks once each; ${skipped.length} poll(s) found the last one under way and asked nothing`;
	} finally {
		sandbox.setOptions({ latencyMs: 0 });
	}
}
