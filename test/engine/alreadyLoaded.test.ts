import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

import type { INodeExecutionData, INodeParameters } from 'n8n-workflow';

import { startSandbox } from '../../sandbox';
import type { Sandbox } from '../../sandbox';
import { LEASE, RECORDS } from '../../nodes/EverGis/actions/raster/loadMemory';
import type { OtherProcess, RunResult, WorkflowSpec } from '../helpers/engine';
import { deduplicator, ProductionRuns, TestEngine, waitUntil } from '../helpers/engine';
import { MemoryDeduplicator } from '../helpers/memoryDeduplicator';
import type { FileItemSpec } from '../helpers/testNodes';
import { fixture, tilingWorkflow, uploadParameters } from '../helpers/workflows';

// Raster → Upload to Catalog → Skip Files Already Loaded, each rule, through n8n's engine with
// n8n's deduplication store in memory (test/helpers/memoryDeduplicator.ts: n8n's own logic, a turn
// of the event loop between each call's read and write, like a database). The engine's workflow is
// 'wf-test' and the EverGIS node is 'node-2'. The rule: a file whose task was created counts as
// loaded unless its task is known to have ended other than Completed; a task whose end a run did
// not see is asked by a later run. `nightly.run()` runs the workflow as its Schedule Trigger does
// (production mode), keeping the workflow's static data between runs as n8n saves it; `engine.run()`
// is a manual run, whose static data n8n does not keep.

const CATALOG = 'demo.landsat_images';
const NODE_ID = 'node-2';

let sandbox: Sandbox;
let engine: TestEngine;
let dir: string;

beforeAll(async () => {
	sandbox = await startSandbox({ taskDurationMs: 200 });
	engine = await TestEngine.create();
	dir = mkdtempSync(join(tmpdir(), 'evergis-loaded-'));
});
afterAll(async () => {
	await sandbox.close();
	rmSync(dir, { recursive: true, force: true });
});

let uploadMark = 0;
let taskMark = 0;
/** The lease's clock of every process of the test, moved on by `later()`. */
const leases: Array<typeof LEASE> = [LEASE];
const defaults = { ...LEASE };
let clockOffset = 0;
/** Moves every process's lease clock `ms` on (the rest of the world, the sandbox included, stays). */
const later = (ms: number) => (clockOffset += ms);
const MINUTE = 60_000;
beforeEach(() => {
	clockOffset = 0;
	for (const lease of leases) {
		Object.assign(lease, defaults);
		lease.now = () => Date.now() + clockOffset;
	}
	deduplicator.reset();
	engine.setCredentials('cred-1', {
		host: sandbox.url,
		username: 'demo',
		password: 'demo-password',
	});
	sandbox.setOptions({ taskDurationMs: 200, maxUploadBytes: null, faults: {}, latencyMs: 0 });
	sandbox.resetStats();
	mark();
});
/** From here on, `uploaded()` and `tasked()` count. */
function mark() {
	uploadMark = sandbox.uploads().length;
	taskMark = sandbox.tasks().length;
}
/** Source file names of the uploads since the mark (`scene_<12 hex>.tif` → `scene.tif`). */
const uploaded = () =>
	sandbox
		.uploads()
		.slice(uploadMark)
		.map((upload) => upload.fileId.replace(/_[0-9a-f]{12}(\.\w+)$/, '$1'))
		.sort();
const tasked = () => sandbox.tasks().slice(taskMark);

const fast = { pollInterval: 0.1 };
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** A copy of a fixture under another name, optionally with bytes appended (a changed file). */
function rasterFile(name: string, from: string, extra = ''): string {
	const path = join(dir, name);
	copyFileSync(fixture(from), path);
	if (extra) writeFileSync(path, Buffer.concat([readFileSync(path), Buffer.from(extra)]));
	return path;
}

/** Upload to Catalog with Skip Files Already Loaded on, one item per file, Continue On Fail. */
function loadFiles(
	files: Array<string | FileItemSpec>,
	more: INodeParameters = {},
	settings: { continueOnFail?: boolean } = { continueOnFail: true },
): WorkflowSpec {
	const { options, ...rest } = more;
	return tilingWorkflow(
		uploadParameters(CATALOG, {
			skipAlreadyLoaded: true,
			...rest,
			options: { ...fast, ...((options as object) ?? {}) },
		}),
		files.map((file) => (typeof file === 'string' ? { files: { data: file } } : file)),
		settings,
	);
}

const out = (result: RunResult) => result.output('EverGIS');
const names = (item: INodeExecutionData) =>
	((item.json.files ?? []) as Array<{ name: string } | string>).map((file) =>
		typeof file === 'string' ? file : file.name,
	);
/** Output items in order: [kind, file names]. */
const summary = (result: RunResult) =>
	out(result).map((item) => [
		item.json.skipped ? 'skipped' : item.json.error ? 'error' : (item.json.status as string),
		names(item).join(','),
	]);
/** The memory's key of a file (Content matching). */
const keyOf = (path: string, catalog = CATALOG) =>
	JSON.stringify(['evergis', 1, sandbox.url, catalog, 'sha256', sha256(path)]);
/** Files whose task was created (they count as loaded), among `paths`. */
const loaded = (...paths: string[]) =>
	paths.filter((path) => deduplicator.has('wf-test', keyOf(path))).map((path) => basename(path));
/** Files claimed by a run that has not created their task (yet), among `paths`. */
const claimed = (...paths: string[]) =>
	paths
		.filter((path) => deduplicator.has('wf-test', `claim ${keyOf(path)}`))
		.map((path) => basename(path));
const hints = (result: RunResult) =>
	(result.run.data.resultData.runData.EverGIS?.[0]?.hints ?? []).map((hint) => hint.message);
/** The sandbox's task for a file of this run, by its source file name. */
const taskOf = (name: string) =>
	tasked().find((task) => (task.body.files as string[]).some((file) => sourceName(file) === name));
const sourceName = (fileId: string) => fileId.replace(/_[0-9a-f]{12}(\.\w+)$/, '$1');

const allEnded = () =>
	sandbox.tasks().every((task) => ['Completed', 'Failed', 'Canceled'].includes(task.status));

describe('Skip Files Already Loaded', () => {
	test('a file whose task Completed is skipped on the next run: an output item says so, paired with its input item, and EverGIS is asked only for the catalog', async () => {
		const a = rasterFile('a.tif', 'rgb-byte-tenth.tif');
		const b = rasterFile('b.tif', 'cogeo.tif');
		const first = await engine.run(loadFiles([a, b]));
		expect(first.error).toBeUndefined();
		expect(summary(first)).toEqual([
			['Completed', 'a.tif'],
			['Completed', 'b.tif'],
		]);
		expect(uploaded()).toEqual(['a.tif', 'b.tif']);
		expect(loaded(a, b)).toEqual(['a.tif', 'b.tif']);
		expect(claimed(a, b)).toEqual([]);
		// The engine runs workflows in n8n's manual mode: a test run counts like a scheduled one.
		expect(first.run.mode).toBe('manual');

		mark();
		sandbox.resetStats();
		const second = await engine.run(loadFiles([a, b]));
		expect(second.error).toBeUndefined();
		const items = out(second);
		expect(items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(items[0].json).toEqual({
			skipped: true,
			reason: 'alreadyLoaded',
			serviceName: CATALOG,
			matchFilesBy: 'content',
			files: [{ name: 'a.tif', binaryProperty: 'data', size: 17449, sha256: sha256(a) }],
			message: expect.stringMatching(/^Already loaded into demo\.landsat_images/),
		});
		expect(names(items[1])).toEqual(['b.tif']);
		expect(uploaded()).toEqual([]);
		expect(tasked()).toEqual([]);
		// The catalog is checked first (a misspelt one fails before any file is read): one request.
		const stats = sandbox.stats();
		expect(stats.logins).toBe(0);
		expect(stats.requests).toEqual(expect.objectContaining({ layer: 1 }));
		expect(Object.values(stats.requests).reduce((x, y) => x + y, 0)).toBe(1);
		expect(deduplicator.entries('wf-test')).toHaveLength(2);
	});

	test('an unknown catalog fails before any file is read and before the memory is asked', async () => {
		// Regression: Content matching hashed every item's files first, then the catalog was checked.
		const a = rasterFile('a.tif', 'rgb-byte-tenth.tif');
		const result = await engine.run(
			tilingWorkflow(
				uploadParameters('demo.no_such_catalog', { skipAlreadyLoaded: true, options: fast }),
				[{ files: { data: a } }],
			),
		);
		expect(result.error?.message).toBe("EverGIS has no catalog 'demo.no_such_catalog' [item 0]");
		expect(deduplicator.calls.check).toBe(0);
		expect(uploaded()).toEqual([]);
	});

	test('off (the default): nothing is read from or written to the store', async () => {
		const result = await engine.run(
			tilingWorkflow(uploadParameters(CATALOG, { options: fast }), [
				{ files: { data: fixture('rgb-byte-tenth.tif') } },
			]),
		);
		expect(result.error).toBeUndefined();
		expect(deduplicator.calls).toEqual({ check: 0, remove: 0, clear: 0, count: 0 });
	});

	test('a file whose task failed is loaded again next run (Output Failed Tasks as Items too); once fixed under the same name it loads, then is skipped', async () => {
		const good = rasterFile('good.tif', 'rgb-byte-tenth.tif');
		const broken = rasterFile('corrupt.tif', 'corrupt.tif');
		const first = await engine.run(loadFiles([good, broken]));
		expect(summary(first)).toEqual([
			['Completed', 'good.tif'],
			['error', 'corrupt.tif'],
		]);
		expect(loaded(good, broken)).toEqual(['good.tif']);

		mark();
		const again = await engine.run(
			loadFiles([good, broken], { options: { outputFailedTasks: true } }),
		);
		expect(summary(again)).toEqual([
			['skipped', 'good.tif'],
			['Failed', 'corrupt.tif'],
		]);
		expect(uploaded()).toEqual(['corrupt.tif']);
		expect(loaded(good, broken)).toEqual(['good.tif']);

		// corrupt.tif replaced by a good raster under the same name.
		const fixed = rasterFile('corrupt.tif', 'world.byte.tif');
		mark();
		const loadedNow = await engine.run(loadFiles([good, fixed]));
		expect(summary(loadedNow)).toEqual([
			['skipped', 'good.tif'],
			['Completed', 'corrupt.tif'],
		]);
		expect(uploaded()).toEqual(['corrupt.tif']);

		mark();
		const after = await engine.run(loadFiles([good, fixed]));
		expect(summary(after)).toEqual([
			['skipped', 'good.tif'],
			['skipped', 'corrupt.tif'],
		]);
		expect(uploaded()).toEqual([]);
	});

	test('a file whose item failed before its task (upload refused) is loaded again next run; its claim is gone', async () => {
		const small = rasterFile('small.tif', 'rgb-byte-tenth.tif');
		const big = rasterFile('big.tif', 'cogeo.tif');
		sandbox.setOptions({ maxUploadBytes: 100_000 });
		const refused = await engine.run(loadFiles([small, big]));
		expect(summary(refused).map(([kind]) => kind)).toEqual(['Completed', 'error']);
		// 413 (or, when the sandbox closes the connection first, a failed send): the item failed.
		expect(out(refused)[1].json.error).toMatch(/HTTP 413|closed while sending/);
		expect(loaded(small, big)).toEqual(['small.tif']);
		expect(claimed(small, big)).toEqual([]);
		expect(deduplicator.entries('wf-test')).toHaveLength(1);

		sandbox.setOptions({ maxUploadBytes: null });
		mark();
		const done = await engine.run(loadFiles([small, big]));
		expect(summary(done)).toEqual([
			['skipped', 'small.tif'],
			['Completed', 'big.tif'],
		]);
		expect(loaded(small, big)).toEqual(['small.tif', 'big.tif']);
	});

	test('a task creation that may have created the task (HTTP 500): the file counts as loaded, never a second task; its error says so, and the next run names it as uncertain', async () => {
		// Regression: the claim was let go, and the next night loaded the file again (a second task
		// when EverGIS had created the first).
		const big = rasterFile('big.tif', 'cogeo.tif');
		sandbox.setOptions({ faults: { createTask: { rate: 1, kinds: ['500'] } } });
		const nightly = new ProductionRuns(engine);
		const noTask = await nightly.run(loadFiles([big]));
		expect(summary(noTask)).toEqual([['error', 'big.tif']]);
		expect(out(noTask)[0].json.error).toMatch(/may have created the task/);
		expect(out(noTask)[0].json.description).toMatch(
			/Skip Files Already Loaded counts these files as loaded \(never a second task\).*These Input Files/,
		);
		expect(loaded(big)).toEqual(['big.tif']);

		sandbox.setOptions({ faults: {} });
		mark();
		const next = await nightly.run(loadFiles([big]));
		expect(summary(next)).toEqual([['skipped', 'big.tif']]);
		expect(out(next)[0].json).toMatchObject({
			reason: 'uncertain',
			message: expect.stringMatching(
				/^Counted as loaded into demo\.landsat_images, not uploaded again, but no run knows that it was: its task creation \(\S+\) failed in a way that may have created the task: EverGIS may have created the task: .*HTTP 500.*Check the catalog: if the file is missing, run once with Options → Forget Earlier Loads → 'These Input Files'/,
			),
		});
		expect(uploaded()).toEqual([]);
		expect(hints(next).join(' ')).toMatch(
			/1 file\(s\) count as loaded although no run knows that they were: their items say why \(reason "uncertain"\)/,
		);
		// Told once: from then on it counts as loaded.
		const after = await nightly.run(loadFiles([big]));
		expect(out(after)[0].json.reason).toBe('alreadyLoaded');
		expect(uploaded()).toEqual([]);
		expect(tasked()).toEqual([]);
	});

	test('one item, two files (One Task per File), the second task refused: the first file, whose task was created, is not loaded again next run', async () => {
		// Regression: the item's failure used to release the claim of the task already created, and
		// the next run created a second task for the same file.
		const first = rasterFile('first.tif', 'rgb-byte-tenth.tif');
		const second = rasterFile('second.tif', 'cogeo.tif');
		sandbox.failNext('createTask', '400', 1, 1);
		const nightly = new ProductionRuns(engine);
		const run1 = await nightly.run(
			loadFiles([{ files: { first, second } }], { inputSource: 'allBinary' }),
		);
		expect(summary(run1)).toEqual([['error', '']]);
		expect(out(run1)[0].json.error).toMatch(/HTTP 400/);
		expect(out(run1)[0].json.description).toMatch(/Tasks this item had already created: /);
		expect(tasked()).toHaveLength(1);
		expect(loaded(first, second)).toEqual(['first.tif']);

		await waitUntil(() => taskOf('first.tif')?.status === 'Completed');
		mark();
		const run2 = await nightly.run(
			loadFiles([{ files: { first, second } }], { inputSource: 'allBinary' }),
		);
		expect(uploaded()).toEqual(['second.tif']);
		expect(summary(run2)).toEqual([
			['skipped', 'first.tif'],
			['Completed', 'second.tif'],
		]);
	});

	test('Match Files By Content: the same name with new bytes is loaded again; Name and Size: the same name and size is skipped, another size loads', async () => {
		const path = rasterFile('scene.tif', 'rgb-byte-tenth.tif');
		await engine.run(loadFiles([path]));
		rasterFile('scene.tif', 'rgb-byte-tenth.tif', 'new bytes at the end');
		mark();
		const changed = await engine.run(loadFiles([path]));
		expect(summary(changed)).toEqual([['Completed', 'scene.tif']]);
		expect(uploaded()).toEqual(['scene.tif']);

		deduplicator.reset();
		const byName = { matchFilesBy: 'nameAndSize' };
		rasterFile('scene.tif', 'rgb-byte-tenth.tif');
		await engine.run(loadFiles([path], byName));
		// Same size, other bytes: Name and Size cannot tell them apart.
		const same = readFileSync(path);
		same[same.length - 1] ^= 0xff;
		writeFileSync(path, same);
		mark();
		const skipped = await engine.run(loadFiles([path], byName));
		expect(summary(skipped)).toEqual([['skipped', 'scene.tif']]);
		expect(out(skipped)[0].json).toMatchObject({
			matchFilesBy: 'nameAndSize',
			files: [{ name: 'scene.tif', binaryProperty: 'data', size: 17449 }],
		});
		expect((out(skipped)[0].json.files as object[])[0]).not.toHaveProperty('sha256');
		rasterFile('scene.tif', 'rgb-byte-tenth.tif', 'longer');
		const longer = await engine.run(loadFiles([path], byName));
		expect(summary(longer)).toEqual([['Completed', 'scene.tif']]);
		expect(uploaded()).toEqual(['scene.tif']);
	});

	test('Wait for Completion off: the next run asks the tasks: a file whose task Failed loads again, one whose task Completed is skipped; no Forget needed', async () => {
		const broken = rasterFile('corrupt.tif', 'corrupt.tif');
		const other = rasterFile('other.tif', 'float32.tif');
		const noWait = { waitForCompletion: false };
		const nightly = new ProductionRuns(engine);
		const first = await nightly.run(loadFiles([broken, other], noWait));
		expect(summary(first)).toEqual([
			['Scheduled', 'corrupt.tif'],
			['Scheduled', 'other.tif'],
		]);
		expect(loaded(broken, other)).toEqual(['corrupt.tif', 'other.tif']);
		await waitUntil(allEnded);
		expect(taskOf('corrupt.tif')?.status).toBe('Failed');

		mark();
		const second = await nightly.run(loadFiles([broken, other], noWait));
		expect(summary(second)).toEqual([
			['Scheduled', 'corrupt.tif'],
			['skipped', 'other.tif'],
		]);
		expect(uploaded()).toEqual(['corrupt.tif']);
		expect(out(second)[1].json).toMatchObject({
			reason: 'alreadyLoaded',
			taskId: expect.any(String),
		});
	});

	test('a manual run that does not see its tasks end says so: n8n keeps no state of manual runs, so no later run asks them', async () => {
		const a = rasterFile('a.tif', 'rgb-byte-tenth.tif');
		const result = await engine.run(loadFiles([a], { waitForCompletion: false }));
		expect(summary(result)).toEqual([['Scheduled', 'a.tif']]);
		expect(hints(result).join(' ')).toMatch(
			/This manual run did not see the load of 1 file\(s\) end \(task\(s\) \S+\)\. .*they count as loaded, and the next run that meets them says so \(reason "uncertain"\)/,
		);
		expect(result.staticData).toBeUndefined();
		const next = await engine.run(loadFiles([a], { waitForCompletion: false }));
		expect(out(next)[0].json).toMatchObject({
			reason: 'uncertain',
			message: expect.stringMatching(
				/no run saw how its load ended: n8n did not keep the record of that run/,
			),
		});
	});

	test("a production run that saw every task end leaves the workflow's static data untouched: n8n does not save it (a queue worker of n8n 2.x would save its empty one over the workflow's)", async () => {
		// Regression: every run with the option set the static data's field, so n8n saved the static
		// data after each production run; a 2.x worker starts without it and saved {} plus that field.
		const a = rasterFile('a.tif', 'rgb-byte-tenth.tif');
		const nightly = new ProductionRuns(engine);
		const first = await nightly.run(loadFiles([a]));
		expect(summary(first)).toEqual([['Completed', 'a.tif']]);
		expect(first.staticData).toBeUndefined();
		const second = await nightly.run(loadFiles([a]));
		expect(summary(second)).toEqual([['skipped', 'a.tif']]);
		expect(second.staticData).toBeUndefined();
	});

	test('a task the node stopped waiting for (Timeout): counted as loaded; the next run skips it while it runs, then by how it ended (Completed: skipped; Failed: loaded again)', async () => {
		// Regression: the file was released when the wait timed out, and the next run created a
		// second task while the first one was still running.
		const good = rasterFile('slow-good.tif', 'rgb-byte-tenth.tif');
		const broken = rasterFile('slow-corrupt.tif', 'corrupt.tif');
		sandbox.setOptions({ taskDurationMs: 4_000 });
		const nightly = new ProductionRuns(engine);
		const run1 = await nightly.run(loadFiles([good, broken], { options: { timeout: 1 } }));
		expect(summary(run1).map(([kind]) => kind)).toEqual(['error', 'error']);
		expect(out(run1)[0].json.error).toMatch(/did not finish within 1 s/);
		expect(loaded(good, broken)).toEqual(['slow-good.tif', 'slow-corrupt.tif']);

		mark();
		const run2 = await nightly.run(loadFiles([good, broken], { options: { timeout: 1 } }));
		expect(uploaded()).toEqual([]);
		expect(out(run2).map((item) => [item.json.reason, item.json.message])).toEqual([
			[
				'beingLoaded',
				expect.stringMatching(/its task \S+ from an earlier run is still (Scheduled|Executing)/),
			],
			['beingLoaded', expect.stringMatching(/still (Scheduled|Executing)/)],
		]);

		sandbox.setOptions({ taskDurationMs: 200 });
		await waitUntil(allEnded);
		mark();
		const run3 = await nightly.run(loadFiles([good, broken]));
		expect(uploaded()).toEqual(['slow-corrupt.tif']);
		expect(summary(run3)).toEqual([
			['skipped', 'slow-good.tif'],
			['error', 'slow-corrupt.tif'],
		]);
	});

	test('fail fast: the files whose task was created count as loaded; the next run settles them by asking their tasks and loads exactly the others', async () => {
		const files = ['p', 'q', 'r'].map((name, i) =>
			rasterFile(`${name}.tif`, ['rgb-byte-tenth.tif', 'cogeo.tif', 'float32.tif'][i]),
		);
		const broken = rasterFile('corrupt.tif', 'corrupt.tif');
		const nightly = new ProductionRuns(engine);
		const failing = await nightly.run(loadFiles([...files, broken], {}, { continueOnFail: false }));
		expect(failing.error?.message).toMatch(/ended Failed/);
		const created = ['p.tif', 'q.tif', 'r.tif'].filter((name) => taskOf(name) !== undefined);
		expect(loaded(...files, broken)).toEqual(created);
		expect(claimed(...files, broken)).toEqual([]);

		await waitUntil(allEnded);
		mark();
		const next = await nightly.run(loadFiles(files));
		expect(next.error).toBeUndefined();
		expect(uploaded()).toEqual(
			['p.tif', 'q.tif', 'r.tif'].filter((name) => !created.includes(name)),
		);
	});

	test('a canceled execution: the files whose task was created count as loaded; n8n keeps no state of a canceled run, so the next run says that no run saw how they ended', async () => {
		const files = ['a', 'b'].map((name, i) =>
			rasterFile(`${name}.tif`, ['rgb-byte-tenth.tif', 'cogeo.tif'][i]),
		);
		sandbox.setOptions({ taskDurationMs: 10_000 });
		const cancel = new AbortController();
		const running = engine.run(loadFiles(files), { signal: cancel.signal, mode: 'trigger' });
		// Cancel once both tasks exist (the node is waiting for them).
		await waitUntil(() => tasked().length >= 2);
		cancel.abort();
		const result = await running;
		expect(result.run.status).toBe('canceled');
		expect(result.staticData).toBeUndefined();
		expect(loaded(...files)).toEqual(['a.tif', 'b.tif']);
		// Their claim K stays (no run saw the tasks end) and n8n kept no record: the next run says so.
		expect(claimed(...files)).toEqual(['a.tif', 'b.tif']);
		mark();
		const next = await engine.run(loadFiles(files));
		expect(summary(next)).toEqual([
			['skipped', 'a.tif'],
			['skipped', 'b.tif'],
		]);
		expect(out(next).map((item) => item.json.reason)).toEqual(['uncertain', 'uncertain']);
		expect(uploaded()).toEqual([]);
		expect(claimed(...files)).toEqual([]);
	});

	test('an execution canceled while a task creation is on its way: EverGIS may have created the task, so the file counts as loaded and the next run names it as uncertain', async () => {
		// Regression (review N3): a create in flight when the user canceled let the claim go, and the
		// next run created a second task whenever EverGIS had created the first.
		const a = rasterFile('a.tif', 'rgb-byte-tenth.tif');
		sandbox.failNext('createTask', 'hang', 1);
		const cancel = new AbortController();
		const running = engine.run(loadFiles([a]), { signal: cancel.signal, mode: 'trigger' });
		await waitUntil(() => sandbox.stats().faults.createTask >= 1);
		cancel.abort();
		expect((await running).run.status).toBe('canceled');
		expect(loaded(a)).toEqual(['a.tif']);
		mark();
		const next = await engine.run(loadFiles([a]));
		expect(out(next)[0].json).toMatchObject({ skipped: true, reason: 'uncertain' });
		expect(uploaded()).toEqual([]);
	});

	test('an item that fails before its upload (no such binary property) leaves nothing loaded or claimed for the items stopped with it', async () => {
		const a = rasterFile('a.tif', 'rgb-byte-tenth.tif');
		const b = rasterFile('b.tif', 'cogeo.tif');
		const result = await engine.run(
			loadFiles([a, b, { files: { other: a } }], {}, { continueOnFail: false }),
		);
		expect(result.error?.message).toMatch(/no binary property 'data'/);
		expect(loaded(a, b)).toEqual([]);
		expect(claimed(a, b)).toEqual([]);
	});

	test('two executions at once load each new file once: the other execution skips it, as being loaded', async () => {
		const files = ['one', 'two', 'three', 'four'].map((name, i) =>
			rasterFile(
				`${name}.tif`,
				['rgb-byte-tenth.tif', 'cogeo.tif', 'float32.tif', 'world.byte.tif'][i],
			),
		);
		const [left, right] = await Promise.all([
			engine.run(loadFiles(files)),
			engine.run(loadFiles(files)),
		]);
		expect(left.error).toBeUndefined();
		expect(right.error).toBeUndefined();
		expect(uploaded()).toEqual(['four.tif', 'one.tif', 'three.tif', 'two.tif']);
		expect(tasked()).toHaveLength(4);
		for (let i = 0; i < files.length; i++) {
			const kinds = [summary(left)[i][0], summary(right)[i][0]].sort();
			expect(kinds).toEqual(['Completed', 'skipped']);
		}
		expect(loaded(...files)).toHaveLength(4);
		expect(claimed(...files)).toEqual([]);
	});

	test('a claim left by a run that is gone (n8n killed mid-upload) blocks the file until its lease lapses (5 to 10 minutes), then the next run loads it', async () => {
		const a = rasterFile('a.tif', 'rgb-byte-tenth.tif');
		// What a killed process leaves: the claim, and the lease it last renewed; no task.
		const now = LEASE.now();
		const period = Math.floor(now / LEASE.bucketMs);
		await deduplicator.checkProcessedAndRecord(
			[`claim ${keyOf(a)}`, `lease ${keyOf(a)} ${period}`, `lease ${keyOf(a)} ${period + 1}`],
			'workflow',
			{ workflow: { id: 'wf-test', active: false } as never },
			{ mode: 'entries' },
		);
		mark();
		const blocked = await engine.run(loadFiles([a]));
		expect(out(blocked)[0].json).toMatchObject({
			reason: 'beingLoaded',
			message: expect.stringMatching(/another execution is loading it now/),
		});
		later(2 * LEASE.bucketMs);
		const result = await engine.run(loadFiles([a]));
		expect(summary(result)).toEqual([['Completed', 'a.tif']]);
		expect(uploaded()).toEqual(['a.tif']);
		expect(loaded(a)).toEqual(['a.tif']);
		expect(claimed(a)).toEqual([]);
		// The killed run's last lease entries stay: no run reads a period past again, and they go as
		// the earliest entries under Remember at Most.
		expect(deduplicator.entries('wf-test')).toHaveLength(3);
	});

	test("n8n's store loses writes that overlap (so the node queues its calls): 20 claims at once keep fewer than 20 entries", async () => {
		const context = { workflow: { id: 'wf-race', active: true }, node: { id: 'n' } as never };
		const store = new MemoryDeduplicator();
		await store.checkProcessedAndRecord(['seed'], 'node', context, { mode: 'entries' });
		const answers = await Promise.all(
			Array.from({ length: 20 }, (_, i) =>
				store.checkProcessedAndRecord([`k${i}`], 'node', context, { mode: 'entries' }),
			),
		);
		expect(answers.every((answer) => answer.new.length === 1)).toBe(true);
		expect(store.entries('wf-race', 'n').length).toBeLessThan(21);
	});

	test('copies of one file in the same run (Content) are loaded once; the copy is skipped', async () => {
		const a = rasterFile('a.tif', 'rgb-byte-tenth.tif');
		const copy = rasterFile('copy-of-a.tif', 'rgb-byte-tenth.tif');
		const result = await engine.run(loadFiles([a, copy], { options: { concurrency: 1 } }));
		expect(summary(result)).toEqual([
			['Completed', 'a.tif'],
			['skipped', 'copy-of-a.tif'],
		]);
		expect(out(result)[1].json.message).toMatch(
			/another item of this execution loads the same file/,
		);
		expect(uploaded()).toEqual(['a.tif']);
	});

	test('Forget Earlier Loads → All: every file is loaded again', async () => {
		const a = rasterFile('a.tif', 'rgb-byte-tenth.tif');
		const b = rasterFile('b.tif', 'cogeo.tif');
		await engine.run(loadFiles([a, b]));
		mark();
		const all = await engine.run(loadFiles([a], { options: { forgetEarlierLoads: 'all' } }));
		expect(summary(all)).toEqual([['Completed', 'a.tif']]);
		expect(hints(all).join(' ')).toMatch(/Forget Earlier Loads is 'All'/);
		// b.tif was forgotten too.
		const next = await engine.run(loadFiles([a, b]));
		expect(summary(next)).toEqual([
			['skipped', 'a.tif'],
			['Completed', 'b.tif'],
		]);
	});

	test('Forget Earlier Loads → These Input Files: those files load again', async () => {
		const a = rasterFile('a.tif', 'rgb-byte-tenth.tif');
		const b = rasterFile('b.tif', 'cogeo.tif');
		await engine.run(loadFiles([a, b]));
		mark();
		const forgetting = await engine.run(
			loadFiles([a], { options: { forgetEarlierLoads: 'theseFiles' } }),
		);
		expect(summary(forgetting)).toEqual([['Completed', 'a.tif']]);
		expect(hints(forgetting).join(' ')).toMatch(/Forget Earlier Loads is 'These Input Files'/);
		expect(summary(await engine.run(loadFiles([a, b])))).toEqual([
			['skipped', 'a.tif'],
			['skipped', 'b.tif'],
		]);
	});

	test('the memory is bounded: Remember at Most drops the earliest files first (they load again), and a hint says so', async () => {
		const files = ['first', 'second', 'third'].map((name, i) =>
			rasterFile(`${name}.tif`, ['rgb-byte-tenth.tif', 'cogeo.tif', 'float32.tif'][i]),
		);
		const limited = { options: { rememberAtMost: 2, concurrency: 1 } };
		const result = await engine.run(loadFiles(files, limited));
		expect(summary(result).map(([kind]) => kind)).toEqual(['Completed', 'Completed', 'Completed']);
		expect(loaded(...files)).toEqual(['second.tif', 'third.tif']);
		expect(hints(result).join(' ')).toMatch(/Remember at Most is 2/);
		mark();
		const next = await engine.run(loadFiles(files, limited));
		expect(summary(next)).toEqual([
			['Completed', 'first.tif'],
			['skipped', 'second.tif'],
			['skipped', 'third.tif'],
		]);
		expect(uploaded()).toEqual(['first.tif']);
		expect(deduplicator.entries('wf-test')).toHaveLength(2);
	});

	test('the memory is the workflow’s, in the store, not the process: a new engine and another node of the workflow skip what the first loaded; another workflow or another catalog start empty', async () => {
		const a = rasterFile('a.tif', 'rgb-byte-tenth.tif');
		await engine.run(loadFiles([a]));
		const restarted = await TestEngine.create();
		restarted.setCredentials('cred-1', {
			host: sandbox.url,
			username: 'demo',
			password: 'demo-password',
		});
		mark();
		expect(summary(await restarted.run(loadFiles([a])))).toEqual([['skipped', 'a.tif']]);
		const copy = loadFiles([a]);
		copy.nodes[2] = { ...copy.nodes[2], id: 'pasted-copy' };
		expect(summary(await restarted.run(copy))).toEqual([['skipped', 'a.tif']]);
		expect(uploaded()).toEqual([]);

		const otherWorkflow = { ...loadFiles([a]), id: 'wf-other' };
		expect(summary(await restarted.run(otherWorkflow))).toEqual([['Completed', 'a.tif']]);
		const otherCatalog = tilingWorkflow(
			uploadParameters('demo.drone_orthophotos', { skipAlreadyLoaded: true, options: fast }),
			[{ files: { data: a } }],
		);
		expect(summary(await restarted.run(otherCatalog))).toEqual([['Completed', 'a.tif']]);
		expect(uploaded()).toEqual(['a.tif', 'a.tif']);
	});

	test('memory kept per node before the memory was per workflow: its files count as loaded and move to the workflow’s memory', async () => {
		const a = rasterFile('a.tif', 'rgb-byte-tenth.tif');
		const b = rasterFile('b.tif', 'cogeo.tif');
		await deduplicator.checkProcessedAndRecord(
			[keyOf(a)],
			'node',
			{ workflow: { id: 'wf-test', active: false } as never, node: { id: NODE_ID } as never },
			{ mode: 'entries' },
		);
		mark();
		const result = await engine.run(loadFiles([a, b]));
		expect(summary(result)).toEqual([
			['skipped', 'a.tif'],
			['Completed', 'b.tif'],
		]);
		expect(uploaded()).toEqual(['b.tif']);
		expect(loaded(a, b)).toEqual(['a.tif', 'b.tif']);
		expect(deduplicator.entries('wf-test', NODE_ID)).toEqual([]);
	});

	test('One Task per Item: files loaded before are left out of the task, and one skipped item lists them', async () => {
		const a = rasterFile('a.tif', 'rgb-byte-tenth.tif');
		const b = rasterFile('b.tif', 'cogeo.tif');
		await engine.run(loadFiles([a]));
		mark();
		const result = await engine.run(
			loadFiles([{ files: { first: a, second: b } }], {
				inputSource: 'allBinary',
				taskPer: 'item',
			}),
		);
		expect(summary(result)).toEqual([
			['skipped', 'a.tif'],
			['Completed', 'b.tif'],
		]);
		expect(out(result).map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 0 }]);
		expect(tasked().map((task) => (task.body.files as string[]).length)).toEqual([1]);
		expect(uploaded()).toEqual(['b.tif']);
	});

	test('binary data kept on the item (no binary id) is hashed from its bytes: the same key as the file in filesystem mode', async () => {
		const a = rasterFile('a.tif', 'rgb-byte-tenth.tif');
		await engine.run(loadFiles([a]));
		mark();
		const inMemory = await engine.run(
			loadFiles([{ files: { data: { path: a, fileName: 'a.tif', inMemory: true } } }]),
		);
		expect(summary(inMemory)).toEqual([['skipped', 'a.tif']]);
		expect((out(inMemory)[0].json.files as Array<{ sha256: string }>)[0].sha256).toBe(sha256(a));
		const changed = rasterFile('b.tif', 'rgb-byte-tenth.tif', 'x');
		const result = await engine.run(
			loadFiles([{ files: { data: { path: changed, fileName: 'b.tif', inMemory: true } } }]),
		);
		expect(summary(result)).toEqual([['Completed', 'b.tif']]);
		expect(sandbox.uploads().at(-1)?.sha256).toBe(sha256(changed));
	});

	test('files already in temporary storage: the option is not offered there (n8n leaves a hidden parameter out), so nothing is looked up', async () => {
		const upload = await engine.run(
			tilingWorkflow({ resource: 'file', operation: 'upload' }, [
				{ files: { data: fixture('rgb-byte-tenth.tif') } },
			]),
		);
		const fileId = out(upload)[0].json.fileId as string;
		const result = await engine.run(loadFiles([{}], { inputSource: 'storage', fileIds: fileId }));
		expect(summary(result)).toEqual([['Completed', fileId]]);
		expect(deduplicator.calls).toEqual({ check: 0, remove: 0, clear: 0, count: 0 });
	});

	test("n8n's store failing: the node fails with a clear error before any upload; a failed task whose forgetting fails is noted, said, and loaded again once its lease lapses", async () => {
		const a = rasterFile('a.tif', 'rgb-byte-tenth.tif');
		deduplicator.failWhen = () => new Error('connect ECONNREFUSED 127.0.0.1:5432');
		const down = await engine.run(loadFiles([a], {}, { continueOnFail: false }));
		expect(down.error?.message).toBe(
			"EverGIS: n8n's memory of loaded files could not read which files were loaded: connect ECONNREFUSED 127.0.0.1:5432",
		);
		expect(sandbox.stats().requests.upload).toBe(0);

		// Removes: 1 the look-up's own entries; from 2 on (the failed task's file, tried 3 times, and
		// the end of the run) the database is gone.
		deduplicator.reset();
		deduplicator.failWhen = (kind, count) =>
			kind === 'remove' && count >= 2 ? new Error('the database went away') : undefined;
		const broken = rasterFile('corrupt.tif', 'corrupt.tif');
		const nightly = new ProductionRuns(engine);
		const result = await nightly.run(loadFiles([broken]));
		expect(summary(result)).toEqual([['error', 'corrupt.tif']]);
		expect(out(result)[0].json.error).toMatch(/^Tiling task \S+ ended Failed/);
		expect(hints(result).join(' ')).toMatch(
			/could not forget the files whose task failed: the database went away\. 1 file\(s\) that are not loaded stay marked as loaded until the next production run of this workflow takes the mark back/,
		);
		expect(loaded(broken)).toEqual(['corrupt.tif']);

		deduplicator.failWhen = undefined;
		mark();
		later(2 * LEASE.bucketMs);
		const next = await nightly.run(loadFiles([broken], { options: { outputFailedTasks: true } }));
		expect(summary(next)).toEqual([['Failed', 'corrupt.tif']]);
		expect(uploaded()).toEqual(['corrupt.tif']);
	});
});

describe('What overlapping runs, other n8n processes and failed store calls leave (each red before)', () => {
	let other: OtherProcess;
	beforeAll(async () => {
		// A second n8n process (queue mode) on the same store: see asAnotherProcess.
		await jest.isolateModulesAsync(async () => {
			const helper = await import('../helpers/engine');
			other = await helper.asAnotherProcess(deduplicator.process('worker-2'));
		});
		leases.push(other.loadMemory.LEASE);
	});
	beforeEach(() => {
		other.engine.setCredentials('cred-1', {
			host: sandbox.url,
			username: 'demo',
			password: 'demo-password',
		});
		// The other process's clock, as every process's: see `later`.
		Object.assign(other.loadMemory.LEASE, defaults);
		other.loadMemory.LEASE.now = () => Date.now() + clockOffset;
	});

	test('two overlapping runs that both find an earlier task Failed load the file once: the second sees the first holding it', async () => {
		// Regression (review N2): settling recorded the claim without reading the store's answer, so
		// both runs created a task.
		const broken = rasterFile('corrupt.tif', 'corrupt.tif');
		const noWait = { waitForCompletion: false };
		const nightly = new ProductionRuns(engine);
		await nightly.run(loadFiles([broken], noWait));
		await waitUntil(allEnded);
		expect(taskOf('corrupt.tif')?.status).toBe('Failed');
		mark();
		// Slow answers: both runs have looked before either has asked EverGIS the task.
		sandbox.setOptions({ latencyMs: 300 });
		const [left, right] = [new ProductionRuns(engine), new ProductionRuns(engine)];
		left.staticData = JSON.parse(JSON.stringify(nightly.staticData));
		right.staticData = JSON.parse(JSON.stringify(nightly.staticData));
		const runs = await Promise.all([
			left.run(loadFiles([broken], noWait)),
			right.run(loadFiles([broken], noWait)),
		]);
		expect(tasked()).toHaveLength(1);
		expect(runs.map((run) => summary(run)[0][0]).sort()).toEqual(['Scheduled', 'skipped']);
		const skipped = runs.flatMap(out).find((item) => item.json.skipped);
		expect(skipped?.json).toMatchObject({
			reason: 'beingLoaded',
			message: expect.stringMatching(/another execution is loading it now/),
		});
	});

	test("queue mode: a live upload's claim in another process is not taken over; it stays alive while the upload runs, past the lease's period", async () => {
		// Regression (review N4): a claim that no run of *this* process held was taken over at once,
		// so a second worker loaded every file the first was uploading.
		const a = rasterFile('a.tif', 'rgb-byte-tenth.tif');
		LEASE.renewEveryMs = 50;
		sandbox.failNext('upload', 'hang', 1);
		const cancel = new AbortController();
		const loading = engine.run(loadFiles([a]), { signal: cancel.signal });
		await waitUntil(() => sandbox.stats().faults.upload >= 1);
		mark();
		const meanwhile = await other.engine.run(loadFiles([a]));
		expect(out(meanwhile)[0].json).toMatchObject({
			reason: 'beingLoaded',
			message: expect.stringMatching(/another execution is loading it now/),
		});
		// An upload of hours: the holder renews its lease as the clock moves on.
		for (let period = 1; period <= 3; period++) {
			later(LEASE.bucketMs);
			const renewals = deduplicator.calls.check;
			await waitUntil(() => deduplicator.calls.check >= renewals + 2);
			expect(out(await other.engine.run(loadFiles([a])))[0].json.reason).toBe('beingLoaded');
		}
		expect(uploaded()).toEqual([]);
		cancel.abort();
		await loading;
		// The holder let go when its run ended: the other process loads it now.
		const after = await other.engine.run(loadFiles([a]));
		expect(summary(after)).toEqual([['Completed', 'a.tif']]);
		expect(uploaded()).toEqual(['a.tif']);
	});

	test('queue mode: the claim of a process that died mid-upload lapses within 10 minutes (not before 5), and is taken over then', async () => {
		const a = rasterFile('a.tif', 'rgb-byte-tenth.tif');
		sandbox.failNext('upload', 'hang', 1);
		const cancel = new AbortController();
		const loading = engine.run(loadFiles([a]), { signal: cancel.signal });
		await waitUntil(() => sandbox.stats().faults.upload >= 1);
		// The process is killed: it writes nothing more (its renewals and its let-go never arrive).
		deduplicator.failWhen = () => new Error('the process is gone');
		cancel.abort();
		await loading;
		mark();
		later(LEASE.bucketMs - MINUTE);
		expect(out(await other.engine.run(loadFiles([a])))[0].json.reason).toBe('beingLoaded');
		later(LEASE.bucketMs + MINUTE);
		const taken = await other.engine.run(loadFiles([a]));
		expect(summary(taken)).toEqual([['Completed', 'a.tif']]);
		expect(uploaded()).toEqual(['a.tif']);
	});

	test('a store failure during the look-up leaves no claim behind: the next run loads the file', async () => {
		// Regression (review N5): the look-up ran outside the try/finally that lets claims go, and
		// its claims stayed in the process until n8n restarted ("another execution is loading it now").
		const broken = rasterFile('corrupt.tif', 'corrupt.tif');
		const fresh = rasterFile('fresh.tif', 'rgb-byte-tenth.tif');
		const nightly = new ProductionRuns(engine);
		await nightly.run(loadFiles([broken], { waitForCompletion: false }));
		await waitUntil(allEnded);
		const checks = deduplicator.calls.check;
		deduplicator.failWhen = (kind, count) =>
			kind === 'check' && count === checks + 2 ? new Error('connection reset') : undefined;
		const failing = await nightly.run(loadFiles([broken, fresh], { waitForCompletion: false }));
		expect(summary(failing).map(([kind]) => kind)).toEqual(['error', 'error']);
		expect(out(failing)[0].json.error).toMatch(
			/n8n's memory of loaded files could not .*: connection reset/,
		);
		deduplicator.failWhen = undefined;
		mark();
		const next = await nightly.run(loadFiles([fresh]));
		expect(summary(next)).toEqual([['Completed', 'fresh.tif']]);
		expect(uploaded()).toEqual(['fresh.tif']);
	});

	test('two overlapping production runs each save the static data whole: the records the last one dropped are named by the next run, never lost without a word', async () => {
		// Regression (review N7): n8n kept the last writer's static data, and the other run's files
		// counted as loaded without a word, whether their task Completed or Failed.
		const a = rasterFile('a.tif', 'rgb-byte-tenth.tif');
		const b = rasterFile('b.tif', 'cogeo.tif');
		const noWait = { waitForCompletion: false };
		const [first, second] = [new ProductionRuns(engine), new ProductionRuns(engine)];
		const runs = await Promise.all([
			first.run(loadFiles([a], noWait)),
			second.run(loadFiles([b], noWait)),
		]);
		expect(runs.map((run) => summary(run)[0][0])).toEqual(['Scheduled', 'Scheduled']);
		// n8n saves each run's static data whole: the one saved last (b's) is what the next run reads.
		const nightly = new ProductionRuns(engine);
		nightly.staticData = second.staticData;
		await waitUntil(allEnded);
		mark();
		const next = await nightly.run(loadFiles([a, b], noWait));
		expect(out(next).map((item) => [item.json.reason, names(item).join()])).toEqual([
			['uncertain', 'a.tif'],
			['alreadyLoaded', 'b.tif'],
		]);
		expect(out(next)[0].json.message).toMatch(
			/no run saw how its load ended: n8n did not keep the record of that run/,
		);
		expect(uploaded()).toEqual([]);
	});

	test('the static data is bounded: records older than 30 days go, and at most 2,000 stay (the oldest go first), whether or not their files are met again', async () => {
		// Regression (review N8): a record left only when its file was met again.
		const day = 24 * 3600_000;
		const records: Record<string, { taskId: string; since: string }> = {};
		for (let i = 0; i < RECORDS.max + 100; i++) {
			const age = i < 100 ? 31 * day + i : day + i;
			records[`f${String(i).padStart(31, '0')}`] = {
				taskId: `task-${i}`,
				since: new Date(Date.now() - age).toISOString(),
			};
		}
		const a = rasterFile('a.tif', 'rgb-byte-tenth.tif');
		const nightly = new ProductionRuns(engine);
		nightly.staticData = { global: { everGisTasksToSettle: records } };
		await nightly.run(loadFiles([a], { waitForCompletion: false }));
		const kept = (nightly.staticData.global as { everGisTasksToSettle: typeof records })
			.everGisTasksToSettle;
		const sinces = Object.values(kept).map((record) => Date.parse(record.since));
		expect(Object.keys(kept)).toHaveLength(RECORDS.max);
		expect(Math.min(...sinces)).toBeGreaterThan(Date.now() - 30 * day);
		// The newest (this run's) stays; the oldest of the others went.
		expect(Object.values(kept).map((record) => record.taskId)).toContain(tasked()[0].id);
		expect(Object.values(kept).map((record) => record.taskId)).not.toContain('task-2099');
	});

	test('a task EverGIS does not show (404: the credentials were switched to another user) is not taken as ended: the item says so, the file is not loaded again, and it is asked again', async () => {
		// Regression (review N9): a 404 counted as "ended other than Completed", so a switched
		// credential loaded every pending file again.
		sandbox.shareCatalog(CATALOG, 'alice', 'read,write');
		const a = rasterFile('a.tif', 'rgb-byte-tenth.tif');
		const noWait = { waitForCompletion: false };
		const nightly = new ProductionRuns(engine);
		await nightly.run(loadFiles([a], noWait));
		await waitUntil(allEnded);
		engine.setCredentials('cred-1', {
			host: sandbox.url,
			username: 'alice',
			password: 'alice-password',
		});
		mark();
		const asAlice = await nightly.run(loadFiles([a], noWait));
		expect(out(asAlice)[0].json).toMatchObject({
			reason: 'uncertain',
			taskId: expect.any(String),
			message: expect.stringMatching(
				/EverGIS does not show its task \S+ from an earlier run \(EverGIS has no task .*the credentials may belong to another EverGIS user/,
			),
		});
		expect(uploaded()).toEqual([]);
		engine.setCredentials('cred-1', {
			host: sandbox.url,
			username: 'demo',
			password: 'demo-password',
		});
		const asDemo = await nightly.run(loadFiles([a], noWait));
		expect(out(asDemo)[0].json).toMatchObject({
			reason: 'alreadyLoaded',
			taskId: expect.any(String),
		});
		expect(uploaded()).toEqual([]);
	});

	test("an item's claim that n8n's store cannot take back lapses within 10 minutes (its hint says so), and the file loads then", async () => {
		// Regression (review N10): the hint said the claims stay until n8n restarts.
		const big = rasterFile('big.tif', 'cogeo.tif');
		sandbox.setOptions({ maxUploadBytes: 100_000 });
		deduplicator.failWhen = (kind, count) =>
			kind === 'remove' && count >= 2 ? new Error('the database went away') : undefined;
		const refused = await engine.run(loadFiles([big]));
		expect(summary(refused).map(([kind]) => kind)).toEqual(['error']);
		expect(hints(refused).join(' ')).toMatch(
			/could not let go of the files that were not loaded: the database went away\. The entries left lapse within 10 minutes/,
		);
		expect(hints(refused).join(' ')).not.toMatch(/restart/);
		deduplicator.failWhen = undefined;
		sandbox.setOptions({ maxUploadBytes: null });
		mark();
		later(2 * LEASE.bucketMs);
		expect(summary(await engine.run(loadFiles([big])))).toEqual([['Completed', 'big.tif']]);
	});
});
