/**
 * Queue mode, for real: PostgreSQL and Redis (Debian's, started as this test's own processes), one
 * `n8n start` (main) and two `n8n worker` processes sharing them, this package installed from its
 * packed tarball, the EverGIS sandbox in this process. Workflows are published before start and
 * started the way production starts them: webhooks and the EverGIS Tiling Trigger's polls.
 * `npm run test:queue`; each step's time is printed, and a summary at the end.
 */
import {
	copyFileSync,
	existsSync,
	mkdirSync,
	mkdtempSync,
	readFileSync,
	rmSync,
	writeFileSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';

import { startSandbox, type Sandbox, type TaskRecord, type UploadRecord } from '../../sandbox';
import {
	createUserFolder,
	ensureN8nInstalled,
	ensureQueueServices,
	importCredentials,
	importWorkflow,
	listExecutions,
	logStep,
	packPackage,
	publishWorkflow,
	runN8n,
	runProcess,
	startN8n,
	startQueueServices,
	stopAll,
	timingSummary,
	waitForExecutions,
	waitForWebhook,
	type ExecutionRecord,
	type N8nProcess,
	type QueueServices,
	type UserFolder,
} from '../real-n8n';
import { loadExample, nodeOf, useCredentials } from '../e2e/examples';
import {
	changeNightlyFolder,
	NIGHTLY_NODES,
	nightlyCounts,
	nightlyOutcome,
	nightlyWorkflow,
	prepareNightlyFolder,
	quietMoment,
	RUN_3_LOADS,
	sandboxMark,
} from '../e2e/nightly';
import {
	CATALOG,
	CREDENTIAL_TYPE,
	NODES,
	batchWorkflow,
	createSandboxTasks,
	enqueuedBy,
	executionsByWorker,
	filesBelow,
	jwtPayload,
	queryPostgres,
	secretHits,
	tally,
	triggerWorkflow,
	writeRasterSet,
} from './support';

const MINUTE = 60_000;
/** Short enough to run out several times during a batch. */
const TOKEN_LIFETIME_MS = 3_000;
const TASK_DURATION_MS = 5_000;
const BATCH_SIZE = 40;
const PARALLEL_RUNS = 5;
const PARALLEL_SIZE = 10;
/** Files of the Skip Files Already Loaded test (test 6). */
const SKIP_SIZE = 6;
const WEBHOOK_PATH = 'evergis-queue-batch';
/** The nightly example's Schedule Trigger, rewritten: every 10 s (its folder stays empty until test 5). */
const NIGHTLY_EVERY_S = 10;
const USER = { username: 'demo', password: `queue-pw-${randomBytes(12).toString('hex')}` };

const suiteStart = Date.now();
const cleanups: Array<() => Promise<void> | void> = [];
let sandbox: Sandbox;
let services: QueueServices;
let folder: UserFolder;
let mains: N8nProcess[] = [];
let workers: N8nProcess[] = [];
let credentialId: string;
let batchId: string;
let triggerId: string;
let nightlyId: string;
let nightlyDir: string;
let batchHashes: Map<string, string>;
let smallHashes: Map<string, string>;
let skipHashes: Map<string, string>;
/** The tasks the trigger watches: A ends before n8n starts, B to D during the test, E never. */
let watched: { A: string; B: string; C: string; D: string; E: string };
/** Execution ids of the webhook batches, by the worker that ran them. */
const batchWorkers = new Map<string, string>();

const TERMINAL = ['success', 'error', 'canceled', 'crashed'];

function say(line: string): void {
	process.stderr.write(`[queue] ${line}\n`);
}

function nodeJson(record: ExecutionRecord, node: string): Array<Record<string, unknown>> {
	const run = record.data?.resultData.runData[node]?.[0];
	return (run?.data?.main?.[0] ?? []).map((item) => item.json);
}

function nodeBinary(record: ExecutionRecord, node: string): Array<Record<string, unknown>> {
	const run = record.data?.resultData.runData[node]?.[0];
	return (run?.data?.main?.[0] ?? []).map(
		(item) =>
			((item.binary as Record<string, unknown> | undefined)?.data ?? {}) as Record<string, unknown>,
	);
}

async function fire(body: Record<string, unknown>): Promise<void> {
	const response = await fetch(mains[mains.length - 1].webhookUrl(WEBHOOK_PATH), {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(body),
		signal: AbortSignal.timeout(2 * MINUTE),
	});
	const text = await response.text();
	if (response.status !== 200) throw new Error(`webhook: HTTP ${response.status} ${text}`);
}

/** Waits until `count` executions of the workflow that are not in `known` have ended. */
async function waitForNewExecutions(
	workflowId: string,
	known: Set<string>,
	count: number,
	timeoutMs: number,
): Promise<ExecutionRecord[]> {
	const records = await waitForExecutions(folder, {
		workflowId,
		includeData: true,
		timeoutMs,
		intervalMs: 2_000,
		until: (rs) =>
			rs.filter((r) => !known.has(r.id) && TERMINAL.includes(r.status)).length >= count,
	});
	return records.filter((r) => !known.has(r.id));
}

async function knownExecutions(workflowId: string): Promise<Set<string>> {
	return new Set((await listExecutions(folder, { workflowId })).map((r) => r.id));
}

/** Which worker ran each execution, waiting a little for the log line if it is not there yet. */
async function workerOf(executionId: string): Promise<string[]> {
	const deadline = Date.now() + 30_000;
	for (;;) {
		const names = executionsByWorker(workers).get(executionId) ?? [];
		if (names.length > 0 || Date.now() > deadline) return names;
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
}

/** What the sandbox holds for one run tag (the catalog attribute `name` the workflow sets). */
function sandboxRun(tag: string, uploadsBefore: Set<string>) {
	const tasks = sandbox
		.tasks()
		.filter(
			(task) =>
				task.body.attributes && (task.body.attributes as Record<string, unknown>).name === tag,
		);
	const fileIds = tasks.flatMap((task) => task.body.files as string[]);
	const uploads = sandbox
		.uploads()
		.filter((upload) => !uploadsBefore.has(upload.fileId) && fileIds.includes(upload.fileId));
	return { tasks, fileIds, uploads };
}

function expectCleanUploads(uploads: UploadRecord[], tasks: TaskRecord[]): void {
	// Every upload under a name of its own, none replacing another.
	expect(new Set(uploads.map((u) => u.fileId)).size).toBe(uploads.length);
	expect(uploads.filter((u) => u.overwrote)).toEqual([]);
	for (const upload of uploads) expect(upload.fileId).toMatch(/^image_[0-9a-f]{12}\.tif$/);
	// Each file in exactly one task, each task with one file.
	const perFile = tally(tasks.flatMap((task) => task.body.files as string[]));
	expect([...perFile.values()].every((n) => n === 1)).toBe(true);
	expect(new Set(perFile.keys())).toEqual(new Set(uploads.map((u) => u.fileId)));
	for (const task of tasks) expect(task.body.files).toHaveLength(1);
}

beforeAll(async () => {
	await logStep('setup: n8n installed', () => ensureN8nInstalled());
	await logStep('setup: postgresql and redis-server installed', () => ensureQueueServices());
	// Another suite may build and pack into the same place at the same time: take a copy at once
	// and check it holds what n8n loads.
	const packed = await logStep('setup: npm run build + npm pack', () => packPackage());
	const tarballDir = mkdtempSync(join(tmpdir(), 'evergis-queue-tgz-'));
	cleanups.push(() => rmSync(tarballDir, { recursive: true, force: true }));
	const tarball = join(tarballDir, basename(packed));
	copyFileSync(packed, tarball);
	const listing = (await runProcess('tar', ['tzf', tarball], { name: 'tar tzf' })).stdout;
	for (const file of [
		'package/dist/nodes/EverGis/EverGisTiling.node.js',
		'package/dist/nodes/EverGis/EverGisTilingTrigger.node.js',
		'package/dist/credentials/EverGisApi.credentials.js',
	]) {
		expect(listing).toContain(file);
	}

	services = await logStep('setup: start PostgreSQL and Redis', () => startQueueServices());
	cleanups.push(() => services.stop());
	sandbox = await startSandbox({
		users: [USER],
		tokenLifetimeMs: TOKEN_LIFETIME_MS,
		taskDurationMs: TASK_DURATION_MS,
		latencyMs: 20,
	});
	cleanups.push(() => sandbox.close());
	say(`sandbox at ${sandbox.url}`);

	folder = await logStep('setup: user folder with the packed package', () =>
		createUserFolder({
			tarballs: [tarball],
			postgres: services.postgres.connection,
			redis: services.redis.connection,
			// n8n's own choice of binary data mode (the README says: database in queue mode).
			binaryDataMode: null,
		}),
	);
	cleanups.push(() => folder.cleanup());
	batchHashes = writeRasterSet(folder.dataDir, 'batch', BATCH_SIZE);
	smallHashes = writeRasterSet(folder.dataDir, 'small', PARALLEL_SIZE);
	skipHashes = writeRasterSet(folder.dataDir, 'skip', SKIP_SIZE);

	// The trigger's tasks run until the test ends them; A has ended before n8n starts.
	sandbox.setOptions({ taskDurationMs: null });
	const [A, B, C, D, E] = await createSandboxTasks(sandbox, USER, 5, 'trigger-watched');
	sandbox.setOptions({ taskDurationMs: TASK_DURATION_MS });
	watched = { A, B, C, D, E };
	sandbox.finishTask(A, 'Completed');

	[credentialId] = await importCredentials(folder, {
		name: 'EverGIS (sandbox)',
		type: CREDENTIAL_TYPE,
		data: { host: sandbox.url, username: USER.username, password: USER.password },
	});
	// The nightly example without its e-mail step, polling its tasks every second; its folder stays
	// empty (each run reads nothing and ends) until the nightly test fills it.
	nightlyDir = join(folder.dataDir, 'nightly');
	mkdirSync(nightlyDir);
	const nightly = loadExample('folder-to-catalog-nightly.json');
	nightly.nodes = nightly.nodes.filter((node) => node.type !== 'n8n-nodes-base.emailSend');
	delete nightly.connections.Summarize;
	useCredentials(nightly, { [CREDENTIAL_TYPE]: { id: credentialId, name: 'EverGIS (sandbox)' } });
	nightlyWorkflow(nightly, nightlyDir, NIGHTLY_EVERY_S);
	(nodeOf(nightly, NIGHTLY_NODES.load).parameters.options as Record<string, unknown>).pollInterval =
		1;
	[batchId, triggerId, nightlyId] = await importWorkflow(folder, [
		batchWorkflow({ path: WEBHOOK_PATH, dataDir: folder.dataDir, credentialId, concurrency: 4 }),
		triggerWorkflow({ taskIds: [A, B, C, D, E], credentialId }),
		nightly,
	]);
	await publishWorkflow(folder, batchId);
	await publishWorkflow(folder, triggerId);
	await publishWorkflow(folder, nightlyId);

	const main = await startN8n(folder, { mode: 'queue', role: 'main', name: 'main-1' });
	mains = [main];
	workers = [
		await startN8n(folder, { mode: 'queue', role: 'worker', name: 'worker-1', concurrency: 2 }),
		await startN8n(folder, { mode: 'queue', role: 'worker', name: 'worker-2', concurrency: 2 }),
	];
	await logStep('setup: main and 2 workers ready', () =>
		Promise.all([main.waitReady(), ...workers.map((worker) => worker.waitReady())]),
	);
	await logStep('setup: webhook registered', () =>
		waitForWebhook(main, WEBHOOK_PATH, { timeoutMs: 2 * MINUTE }),
	);
}, 30 * MINUTE);

afterAll(async () => {
	await stopAll();
	for (const cleanup of cleanups.reverse()) {
		try {
			await cleanup();
		} catch (error) {
			say(`cleanup failed: ${String(error)}`);
		}
	}
	process.stderr.write(
		`\n[queue] step timings:\n${timingSummary()}\n[queue] in all: ` +
			`${((Date.now() - suiteStart) / 1000).toFixed(1)} s\n`,
	);
});

test('a webhook-started batch of 40 files (all named image.tif) runs on a worker, every task once', async () => {
	await logStep('test 1: 40-file batch', async () => {
		const known = await knownExecutions(batchId);
		const uploadsBefore = new Set(sandbox.uploads().map((u) => u.fileId));
		const statsBefore = sandbox.stats();
		await fire({ set: 'batch', run: 'batch-40' });
		const [record] = await logStep('test 1: batch execution ended', () =>
			waitForNewExecutions(batchId, known, 1, 10 * MINUTE),
		);
		const statsAfter = sandbox.stats();

		expect(record.status).toBe('success');
		expect(record.mode).toBe('webhook');
		const items = nodeJson(record, NODES.tiling);
		expect(items).toHaveLength(BATCH_SIZE);
		expect(items.map((item) => item.status)).toEqual(Array(BATCH_SIZE).fill('Completed'));
		expect(new Set(items.map((item) => item.taskId)).size).toBe(BATCH_SIZE);
		for (const item of items) {
			expect(item.serviceName).toBe(CATALOG);
			expect(item.files).toEqual([expect.objectContaining({ name: 'image.tif' })]);
		}

		// The sandbox: exactly 40 stored uploads and 40 tasks, each file ID in exactly one task.
		expect(statsAfter.uploadsStored - statsBefore.uploadsStored).toBe(BATCH_SIZE);
		expect(statsAfter.tasksCreated - statsBefore.tasksCreated).toBe(BATCH_SIZE);
		const run = sandboxRun('batch-40', uploadsBefore);
		expect(run.tasks).toHaveLength(BATCH_SIZE);
		expect(run.uploads).toHaveLength(BATCH_SIZE);
		expectCleanUploads(run.uploads, run.tasks);
		expect(new Set(run.tasks.map((task) => task.id))).toEqual(
			new Set(items.map((item) => item.taskId)),
		);
		expect(run.tasks.every((task) => task.status === 'Completed')).toBe(true);
		// Each of the 40 source files was uploaded once.
		expect(new Set(run.uploads.map((u) => u.sha256))).toEqual(new Set(batchHashes.keys()));

		// The token ran out during the run, and n8n logged in again.
		const ranMs = Date.parse(record.stoppedAt ?? '') - Date.parse(record.startedAt ?? '');
		const logins = statsAfter.logins - statsBefore.logins;
		const sessions = new Set(run.uploads.map((u) => u.session));
		say(
			`batch: ran ${(ranMs / 1000).toFixed(1)} s with ${TOKEN_LIFETIME_MS / 1000}-s tokens: ` +
				`${logins} logins, uploads under ${sessions.size} login session(s), ` +
				`${statsAfter.requests.progress - statsBefore.requests.progress} progress requests`,
		);
		expect(ranMs).toBeGreaterThan(TOKEN_LIFETIME_MS);
		expect(logins).toBeGreaterThanOrEqual(2);

		// Binary data: n8n's default in queue mode, and where it went.
		const binaries = nodeBinary(record, NODES.read);
		expect(binaries).toHaveLength(BATCH_SIZE);
		const modes = tally(binaries.map((b) => String(b.id).split(':')[0]));
		say(`batch: binary data ids by mode: ${JSON.stringify(Object.fromEntries(modes))}`);
		expect([...modes.keys()]).toEqual(['database']);
		expect(folder.env.N8N_DEFAULT_BINARY_DATA_MODE).toBeUndefined();
		const [{ count }] = await queryPostgres(
			folder,
			'select count(*)::int as count from binary_data',
		);
		say(`batch: binary_data rows in PostgreSQL: ${String(count)}`);
		expect(Number(count)).toBeGreaterThanOrEqual(BATCH_SIZE);
		const storage = folder.env.N8N_STORAGE_PATH;
		expect(existsSync(storage) ? filesBelow(storage) : []).toEqual([]);

		// The execution ran on a worker (one of them), and the main put it on the queue.
		const ranOn = await workerOf(record.id);
		say(`batch: execution ${record.id} ran on ${ranOn.join(', ')}`);
		expect(ranOn).toHaveLength(1);
		expect(enqueuedBy(mains[0]).has(record.id)).toBe(true);
		batchWorkers.set(record.id, ranOn[0]);
	});
});

test('5 executions at once against the same catalog: no clobbered upload, no doubled task, both workers busy', async () => {
	await logStep('test 2: 5 parallel batches of 10', async () => {
		const known = await knownExecutions(batchId);
		const uploadsBefore = new Set(sandbox.uploads().map((u) => u.fileId));
		const statsBefore = sandbox.stats();
		const tags = Array.from({ length: PARALLEL_RUNS }, (_, i) => `parallel-${i + 1}`);
		await Promise.all(tags.map((run) => fire({ set: 'small', run })));
		const records = await logStep('test 2: 5 executions ended', () =>
			waitForNewExecutions(batchId, known, PARALLEL_RUNS, 10 * MINUTE),
		);
		const statsAfter = sandbox.stats();

		expect(records).toHaveLength(PARALLEL_RUNS);
		expect(records.map((r) => r.status)).toEqual(Array(PARALLEL_RUNS).fill('success'));
		const total = PARALLEL_RUNS * PARALLEL_SIZE;
		expect(statsAfter.uploadsStored - statsBefore.uploadsStored).toBe(total);
		expect(statsAfter.tasksCreated - statsBefore.tasksCreated).toBe(total);

		const allUploads: UploadRecord[] = [];
		const allTasks: TaskRecord[] = [];
		const sessionsByWorker = new Map<string, Set<string>>();
		for (const record of records) {
			const tag = nodeJson(record, NODES.webhook)[0]?.body as Record<string, unknown>;
			const items = nodeJson(record, NODES.tiling);
			expect(items).toHaveLength(PARALLEL_SIZE);
			expect(items.every((item) => item.status === 'Completed')).toBe(true);
			const run = sandboxRun(String(tag.run), uploadsBefore);
			expect(run.tasks).toHaveLength(PARALLEL_SIZE);
			expect(new Set(run.tasks.map((t) => t.id))).toEqual(new Set(items.map((i) => i.taskId)));
			expect(new Set(run.uploads.map((u) => u.sha256))).toEqual(new Set(smallHashes.keys()));
			allUploads.push(...run.uploads);
			allTasks.push(...run.tasks);

			const ranOn = await workerOf(record.id);
			expect(ranOn).toHaveLength(1);
			batchWorkers.set(record.id, ranOn[0]);
			const sessions = sessionsByWorker.get(ranOn[0]) ?? new Set<string>();
			for (const upload of run.uploads) sessions.add(upload.session);
			sessionsByWorker.set(ranOn[0], sessions);
		}
		expect(
			tags.every((tag) =>
				records.some(
					(r) => (nodeJson(r, NODES.webhook)[0]?.body as Record<string, unknown>).run === tag,
				),
			),
		).toBe(true);
		expect(allUploads).toHaveLength(total);
		expect(allTasks).toHaveLength(total);
		expectCleanUploads(allUploads, allTasks);

		const perWorker = tally([...batchWorkers.values()]);
		say(
			`parallel: executions by worker over tests 1-2: ${JSON.stringify(Object.fromEntries(perWorker))}`,
		);
		expect(new Set(perWorker.keys())).toEqual(new Set(workers.map((w) => w.name)));

		// How the token was shared (through the credential in the database).
		const logins = statsAfter.logins - statsBefore.logins;
		const [first, second] = [...sessionsByWorker.values()];
		const shared = first && second ? [...first].filter((sid) => second.has(sid)) : [];
		say(
			`parallel: ${logins} logins for ${PARALLEL_RUNS} executions; upload sessions by worker: ` +
				JSON.stringify(Object.fromEntries([...sessionsByWorker].map(([k, v]) => [k, v.size]))) +
				`; sessions used on both workers: ${shared.length}`,
		);
	});
});

test('the EverGIS Tiling Trigger fires each ended task once across a restart of the main; a worker runs what it starts', async () => {
	await logStep('test 3: trigger across a restart', async () => {
		const fired = (records: ExecutionRecord[]) => {
			const byTask = new Map<string, string[]>();
			for (const record of records.filter((r) => r.status === 'success')) {
				for (const item of nodeJson(record, NODES.record)) {
					const ids = byTask.get(String(item.taskId)) ?? [];
					ids.push(record.id);
					byTask.set(String(item.taskId), ids);
				}
			}
			return byTask;
		};
		const settled = (records: ExecutionRecord[]) =>
			records.every((r) => TERMINAL.includes(r.status));
		const waitFor = (what: string, until: (byTask: Map<string, string[]>) => boolean) =>
			logStep(`test 3: ${what}`, () =>
				waitForExecutions(folder, {
					workflowId: triggerId,
					includeData: true,
					timeoutMs: 3 * MINUTE,
					intervalMs: 2_000,
					until: (rs) => settled(rs) && until(fired(rs)),
				}),
			);

		// A ended before n8n started: the first main's first poll (at activation) fired it.
		await waitFor('A fired by the first poll', (byTask) => byTask.has(watched.A));
		// B ends now: the next poll (every minute) fires it.
		sandbox.finishTask(watched.B, 'Failed', 'the test failed it');
		await waitFor('B fired by a poll of the first main', (byTask) => byTask.has(watched.B));

		// C ends while the main is down; the new main's first poll fires C and not A or B again.
		const stopped = await logStep('test 3: stop the main', () => mains[0].stop());
		say(`trigger: main-1 stopped (${JSON.stringify(stopped)})`);
		// From here on tokens live 10 minutes: the new main's poll logs in (the only EverGIS client
		// until test 4), and test 4 shows that a worker uses that token from the database.
		sandbox.setOptions({ tokenLifetimeMs: 10 * MINUTE });
		const loginsBeforeMain2 = sandbox.stats().logins;
		sandbox.finishTask(watched.C, 'Completed');
		const main2 = await startN8n(folder, { mode: 'queue', role: 'main', name: 'main-2' });
		mains.push(main2);
		await logStep('test 3: new main ready', () => main2.waitReady());
		await waitFor('C fired by the new main', (byTask) => byTask.has(watched.C));
		// D ends now: a poll of the new main fires it (and again not A, B or C).
		sandbox.finishTask(watched.D, 'Completed');
		const records = await waitFor('D fired by a poll of the new main', (byTask) =>
			byTask.has(watched.D),
		);

		const byTask = fired(records);
		say(
			`trigger: executions ${records.map((r) => `${r.id}:${r.mode}:${r.status}`).join(', ')}; ` +
				`fired: ${JSON.stringify(Object.fromEntries([...byTask].map(([id, ex]) => [id.slice(0, 8), ex])))}`,
		);
		expect(records.every((r) => r.status === 'success' && r.mode === 'trigger')).toBe(true);
		for (const id of [watched.A, watched.B, watched.C, watched.D])
			expect(byTask.get(id)).toHaveLength(1);
		expect(byTask.has(watched.E)).toBe(false);
		expect(new Set(byTask.keys())).toEqual(new Set([watched.A, watched.B, watched.C, watched.D]));
		const statusOf = (id: string) =>
			nodeJson(
				records.find((r) => r.id === byTask.get(id)?.[0]) as ExecutionRecord,
				NODES.record,
			).find((item) => item.taskId === id)?.status;
		expect([watched.A, watched.B, watched.C, watched.D].map(statusOf)).toEqual([
			'Completed',
			'Failed',
			'Completed',
			'Completed',
		]);
		// A and B by the first main, C and D by the second; each on a worker, never on a main.
		const enqueued1 = enqueuedBy(mains[0]);
		const enqueued2 = enqueuedBy(main2);
		for (const id of [watched.A, watched.B])
			expect(enqueued1.has(byTask.get(id)?.[0] ?? '')).toBe(true);
		for (const id of [watched.C, watched.D])
			expect(enqueued2.has(byTask.get(id)?.[0] ?? '')).toBe(true);
		for (const record of records) {
			const ranOn = await workerOf(record.id);
			say(`trigger: execution ${record.id} ran on ${ranOn.join(', ') || 'no worker'}`);
			expect(ranOn).toHaveLength(1);
		}
		const mainLogins = sandbox.stats().logins - loginsBeforeMain2;
		say(`trigger: logins by the new main's polls (10-minute tokens): ${mainLogins}`);
		expect(mainLogins).toBeGreaterThanOrEqual(1);
		// What the trigger remembers, in the workflow's static data in PostgreSQL.
		const [row] = await queryPostgres(
			folder,
			'select "staticData" from workflow_entity where id = $1',
			[triggerId],
		);
		say(`trigger: static data in PostgreSQL: ${JSON.stringify(row?.staticData)}`);
	});
});

test('a token one process got serves the others: it lives in the credential in the database', async () => {
	await logStep('test 4: token shared through the database', async () => {
		// The new main's trigger poll logged in (test 3); a batch on a worker must not log in again.
		const known = await knownExecutions(batchId);
		const uploadsBefore = new Set(sandbox.uploads().map((u) => u.fileId));
		const loginsBefore = sandbox.stats().logins;
		await fire({ set: 'small', run: 'shared-token' });
		const [record] = await waitForNewExecutions(batchId, known, 1, 10 * MINUTE);
		expect(record.status).toBe('success');
		const run = sandboxRun('shared-token', uploadsBefore);
		expect(run.uploads).toHaveLength(PARALLEL_SIZE);
		const ranOn = await workerOf(record.id);
		expect(ranOn).toHaveLength(1);

		const file = join(folder.root, 'import', 'exported-credentials.json');
		let token: string;
		try {
			await runN8n(folder, [
				'export:credentials',
				`--id=${credentialId}`,
				'--decrypted',
				`--output=${file}`,
			]);
			const [exported] = JSON.parse(readFileSync(file, 'utf8')) as Array<{
				data: Record<string, unknown>;
			}>;
			token = String(exported.data.token ?? '');
		} finally {
			rmSync(file, { force: true });
		}
		expect(sandbox.issuedSecrets()).toContain(token);
		const payload = jwtPayload(token);
		const sessions = new Set(run.uploads.map((u) => u.session));
		say(
			`credential: token in the database issued ${new Date(Number(payload.iat) * 1000).toISOString()} ` +
				`(session ${String(payload.sid).slice(0, 8)}); the batch on ${ranOn[0]} made ` +
				`${sandbox.stats().logins - loginsBefore} logins, uploads under session(s) ` +
				`${[...sessions].map((sid) => sid.slice(0, 8)).join(', ')}; ${sandbox.stats().logins} logins in all`,
		);
		expect(sandbox.stats().logins - loginsBefore).toBe(0);
		expect([...sessions]).toEqual([payload.sid]);
	});
});

test('the nightly example, started by its Schedule Trigger on the main and run on workers, three runs over one folder: run 1 loads every file, run 2 none, run 3 exactly the changed, added and fixed ones', async () => {
	await logStep('test 5: nightly example, three scheduled runs on workers', async () => {
		sandbox.setOptions({ taskDurationMs: 1_000 });
		const mark = sandboxMark(sandbox);
		/** The executions that started after `since` and have ended (a fill or a change of the folder). */
		const runsSince = async (since: number, count: number) =>
			(
				await waitForExecutions(folder, {
					workflowId: nightlyId,
					includeData: true,
					timeoutMs: 2 * MINUTE,
					intervalMs: 1_000,
					until: (rs) =>
						rs.filter((r) => Date.parse(r.startedAt ?? '') > since && TERMINAL.includes(r.status))
							.length >= count,
				})
			)
				.filter((r) => Date.parse(r.startedAt ?? '') > since)
				.sort((a, b) => Number(a.id) - Number(b.id));
		try {
			// The folder is filled, and later changed, halfway between two scheduled runs.
			const filledAt = await quietMoment(NIGHTLY_EVERY_S);
			prepareNightlyFolder(nightlyDir);
			await logStep('test 5: run 1', () => runsSince(filledAt, 1));
			const first = nightlyCounts(sandbox, mark);
			await logStep('test 5: run 2', () => runsSince(filledAt, 2));
			const changedAt = await quietMoment(NIGHTLY_EVERY_S);
			const atChange = nightlyCounts(sandbox, mark);
			changeNightlyFolder(nightlyDir);
			const [run3] = await logStep('test 5: run 3', () => runsSince(changedAt, 1));
			const after = nightlyCounts(sandbox, mark);
			const before = (await runsSince(filledAt, 2)).filter(
				(r) => Date.parse(r.startedAt ?? '') < changedAt,
			);
			const [run1, ...run2s] = before;
			const runs = [run1, ...run2s, run3];
			say(
				`nightly: ${runs.map((r) => `${r.id} ${r.mode} ${r.status} ${JSON.stringify(nightlyOutcome(r))}`).join('; ')}`,
			);
			for (const record of runs) {
				expect([record.mode, record.status]).toEqual(['trigger', 'success']);
				const ranOn = await workerOf(record.id);
				expect(ranOn).toHaveLength(1);
				expect(workers.map((w) => w.name)).toContain(ranOn[0]);
			}
			const good = ['nightly-1.tif', 'nightly-2.tif', 'nightly-3.tif'];
			expect(nightlyOutcome(run1)).toEqual({
				completed: good,
				skipped: [],
				failed: ['corrupt.tif'],
			});
			expect(run2s.length).toBeGreaterThanOrEqual(1);
			for (const run2 of run2s) {
				expect(nightlyOutcome(run2)).toEqual({
					completed: [],
					skipped: good,
					failed: ['corrupt.tif'],
				});
			}
			expect(nightlyOutcome(run3)).toEqual({
				completed: RUN_3_LOADS,
				skipped: ['nightly-2.tif', 'nightly-3.tif'],
				failed: [],
			});

			// The sandbox: run 1 every file; then only corrupt.tif's retries; from the change, the three.
			const minus = (later: string[], earlier: string[]) => {
				const rest = [...later];
				for (const name of earlier) rest.splice(rest.indexOf(name), 1);
				return rest;
			};
			expect(first.uploads).toEqual(['corrupt.tif', ...good]);
			expect(first.tasks).toHaveLength(4);
			expect(minus(atChange.uploads, first.uploads)).toEqual(run2s.map(() => 'corrupt.tif'));
			expect(atChange.tasks.length - first.tasks.length).toBe(run2s.length);
			expect(minus(after.uploads, atChange.uploads)).toEqual(RUN_3_LOADS);
			expect(after.tasks.slice(atChange.tasks.length).map((task) => task.status)).toEqual([
				'Completed',
				'Completed',
				'Completed',
			]);

			// n8n's memory: one row for the workflow in processed_data (context '': n8n 2.40.7
			// deduplication-helper.js createContext gives 'n:<node id>' to scope 'node' only), 6 entries
			// (3 from run 1, 3 from run 3).
			const rows = (
				await queryPostgres(
					folder,
					'select context, value from processed_data where "workflowId" = $1',
					[nightlyId],
				)
			).map((row) => ({
				context: String(row.context),
				value: (typeof row.value === 'string' ? JSON.parse(row.value) : row.value) as {
					mode: string;
					data: string[];
				},
			}));
			say(
				`nightly: processed_data: ${rows.map((row) => `context ${row.context}, mode ${row.value.mode}, ${row.value.data.length} entries`).join('; ')}`,
			);
			expect(rows).toHaveLength(1);
			expect(rows[0].context).toBe('');
			expect(rows[0].value).toMatchObject({ mode: 'entries' });
			expect(rows[0].value.data).toHaveLength(6);
		} finally {
			sandbox.setOptions({ taskDurationMs: TASK_DURATION_MS });
		}
	});
});

test('Skip Files Already Loaded on two workers: two executions at once load each file once (the other sees it being loaded, whichever worker holds it); a worker saves its static data, and the next execution on a worker does not get it: the file is named as uncertain', async () => {
	await logStep('test 6: Skip Files Already Loaded across workers', async () => {
		const known = await knownExecutions(batchId);
		const uploadsBefore = new Set(sandbox.uploads().map((u) => u.fileId));
		// Slow answers: the second execution looks while the first is loading.
		sandbox.setOptions({ latencyMs: 600 });
		try {
			await Promise.all([
				fire({ set: 'skip', run: 'skip-a', skip: true }),
				fire({ set: 'skip', run: 'skip-b', skip: true }),
			]);
			const pair = await waitForNewExecutions(batchId, known, 2, 5 * MINUTE);
			sandbox.setOptions({ latencyMs: 20 });
			const a = sandboxRun('skip-a', uploadsBefore);
			const b = sandboxRun('skip-b', uploadsBefore);
			const ranOn = await Promise.all(pair.map((record) => workerOf(record.id)));
			const outcome = pair.map((record) =>
				nodeJson(record, NODES.tiling).map((json) => String(json.reason ?? json.status)),
			);
			say(
				`skip: executions ${pair.map((r) => r.id).join(', ')} on ${ranOn.map((w) => w.join('+')).join(' and ')}; ` +
					`outputs ${JSON.stringify(outcome)}; tasks ${a.tasks.length} + ${b.tasks.length}`,
			);
			expect(pair.map((record) => record.status)).toEqual(['success', 'success']);
			// Each of the files loaded exactly once, by one of the two; the other skipped it.
			const loaded = [...a.uploads, ...b.uploads].map((upload) => skipHashes.get(upload.sha256));
			expect(loaded.sort()).toEqual([...skipHashes.values()].sort());
			expect(a.tasks.length + b.tasks.length).toBe(SKIP_SIZE);
			expect(outcome.flat().filter((kind) => kind === 'Completed')).toHaveLength(SKIP_SIZE);
			expect(
				outcome.flat().filter((kind) => kind === 'beingLoaded' || kind === 'alreadyLoaded'),
			).toHaveLength(SKIP_SIZE);

			// One file changes; a run without waiting creates its task and leaves its record in the
			// static data (the worker saves it), and the next run, on a worker, asks for it.
			const changed = join(folder.dataDir, 'skip', '01', 'image.tif');
			writeFileSync(changed, Buffer.concat([readFileSync(changed), Buffer.from('changed\n')]));
			const before = await knownExecutions(batchId);
			await fire({ set: 'skip', run: 'skip-c', skip: true, wait: false });
			const [noWait] = await waitForNewExecutions(batchId, before, 1, 2 * MINUTE);
			expect(nodeJson(noWait, NODES.tiling).map((json) => json.status ?? json.reason)).toEqual([
				'Scheduled',
				...Array(SKIP_SIZE - 1).fill('alreadyLoaded'),
			]);
			const [row] = await queryPostgres(
				folder,
				'select "staticData" from workflow_entity where id = $1',
				[batchId],
			);
			const saved = (
				typeof row.staticData === 'string' ? JSON.parse(row.staticData) : row.staticData
			) as {
				global?: { everGisTasksToSettle?: Record<string, { taskId?: string }> };
			} | null;
			const records = Object.values(saved?.global?.everGisTasksToSettle ?? {});
			say(
				`skip: the workflow's static data after the worker's run holds ${records.length} record(s)`,
			);
			const afterNoWait = await knownExecutions(batchId);
			await fire({ set: 'skip', run: 'skip-d', skip: true, wait: false });
			const [next] = await waitForNewExecutions(batchId, afterNoWait, 1, 2 * MINUTE);
			const first = nodeJson(next, NODES.tiling)[0];
			const createdTask = sandboxRun('skip-c', uploadsBefore).tasks[0];
			say(
				`skip: the next run (${next.mode}) on ${(await workerOf(next.id)).join('+')} says ${String(first.reason)} ` +
					`(taskId ${String(first.taskId)}; skip-c's task ${createdTask?.id} is ${createdTask?.status}): ${String(first.message)}`,
			);
			// n8n 2.40.7 saves a worker's static data (hookFunctionsSaveWorker) but starts every
			// worker execution from the execution's snapshot, which has none (toWorkflowSnapshot):
			// the record does not reach the next run, and the file is named (seen in 2 of 3 runs of
			// this test; in the first, the item said alreadyLoaded, whose task ID was not printed then).
			// Either way never without a word: named, or settled through the record (its task's ID).
			expect(records.map((record) => record.taskId)).toEqual([createdTask?.id]);
			if (first.reason === 'uncertain') {
				expect(String(first.message)).toMatch(/no run saw how its load ended/);
			} else {
				expect(first).toMatchObject({ skipped: true, taskId: createdTask?.id });
			}
			expect(first.skipped).toBe(true);
			expect(sandboxRun('skip-d', uploadsBefore).tasks).toEqual([]);
		} finally {
			sandbox.setOptions({ latencyMs: 20 });
		}
	});
});

test('no password or token in any log or in the database', async () => {
	await logStep('test 7: secrets scan', async () => {
		await logStep('test 7: stop main and workers', () =>
			Promise.all([...mains, ...workers].map((p) => p.stop())),
		);
		const paths = await ensureQueueServices();
		const dump = join(folder.root, 'database.sql');
		const { host, port, user, database } = services.postgres.connection;
		await runProcess(
			join(paths.postgresBinDir, 'pg_dump'),
			['-h', host, '-p', String(port), '-U', user, '--data-only', '-f', dump, database],
			{ name: 'pg_dump', timeoutMs: 5 * MINUTE },
		);
		const secrets = sandbox.issuedSecrets();
		expect(secrets).toContain(USER.password);
		// Everything n8n wrote (logs, event logs, config, binary data if any) but the test's own input
		// (the rasters, the package, the credential file given to import:credentials, in clear) and the
		// editor's static files n8n copies to ~/.cache.
		const n8nFiles = filesBelow(folder.root, [
			folder.dataDir,
			folder.nodesDir,
			join(folder.root, 'import'),
			join(folder.userFolder, '.cache'),
		]);
		const files = [
			...n8nFiles,
			...filesBelow(services.postgres.dir).filter((f) => f.endsWith('.log')),
			...filesBelow(services.redis.dir).filter((f) => f.endsWith('.log')),
		];
		const hits: string[] = [];
		for (const file of files) {
			for (const hit of secretHits(readFileSync(file, 'utf8'), secrets))
				hits.push(`${file}: ${hit}`);
		}
		const records = await listExecutions(folder, { includeData: true });
		for (const hit of secretHits(JSON.stringify(records), secrets))
			hits.push(`execution records: ${hit}`);
		say(
			`secrets: ${secrets.length} (password, JWTs, refresh tokens) looked for in ${files.length} files ` +
				`and ${records.length} execution records: ${hits.length} found; files: ` +
				files.map((file) => relative(tmpdir(), file)).join(', '),
		);
		expect(hits).toEqual([]);
	});
});
