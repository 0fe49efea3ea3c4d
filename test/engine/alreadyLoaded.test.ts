import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { INodeExecutionData, INodeParameters } from 'n8n-workflow';

import { startSandbox } from '../../sandbox';
import type { Sandbox } from '../../sandbox';
import type { RunResult, WorkflowSpec } from '../helpers/engine';
import { deduplicator, TestEngine } from '../helpers/engine';
import { MemoryDeduplicator } from '../helpers/memoryDeduplicator';
import type { FileItemSpec } from '../helpers/testNodes';
import { fixture, tilingWorkflow, uploadParameters } from '../helpers/workflows';

// Raster → Upload to Catalog → Skip Files Already Loaded, each rule of issue 12, through n8n's
// engine with n8n's deduplication store in memory (test/helpers/memoryDeduplicator.ts: n8n's own
// logic, a turn of the event loop between each call's read and write, like a database). The
// engine's workflow is 'wf-test' and the EverGIS node is 'node-2'; every run is a manual run.

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
beforeEach(() => {
	deduplicator.reset();
	engine.setCredentials('cred-1', {
		host: sandbox.url,
		username: 'demo',
		password: 'demo-password',
	});
	sandbox.setOptions({ taskDurationMs: 200, maxUploadBytes: null, faults: {} });
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
const remembered = () => deduplicator.entries('wf-test', NODE_ID).length;
const hints = (result: RunResult) =>
	(result.run.data.resultData.runData.EverGIS?.[0]?.hints ?? []).map((hint) => hint.message);

describe('Skip Files Already Loaded', () => {
	test('a file whose task Completed is skipped on the next run: an output item says so, paired with its input item, and EverGIS is not asked anything', async () => {
		const a = rasterFile('a.tif', 'rgb-byte-tenth.tif');
		const b = rasterFile('b.tif', 'cogeo.tif');
		const first = await engine.run(loadFiles([a, b]));
		expect(first.error).toBeUndefined();
		expect(summary(first)).toEqual([
			['Completed', 'a.tif'],
			['Completed', 'b.tif'],
		]);
		expect(uploaded()).toEqual(['a.tif', 'b.tif']);
		expect(remembered()).toBe(2);
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
		const stats = sandbox.stats();
		expect(stats.logins).toBe(0);
		expect(Object.values(stats.requests).reduce((a, b) => a + b, 0)).toBe(0);
		// One look-up for both items (check, then take back what it did not know: nothing here).
		expect(remembered()).toBe(2);
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
		expect(remembered()).toBe(1);

		mark();
		const again = await engine.run(
			loadFiles([good, broken], { options: { outputFailedTasks: true } }),
		);
		expect(summary(again)).toEqual([
			['skipped', 'good.tif'],
			['Failed', 'corrupt.tif'],
		]);
		expect(uploaded()).toEqual(['corrupt.tif']);
		expect(remembered()).toBe(1);

		// corrupt.tif replaced by a good raster under the same name.
		rasterFile('corrupt.tif', 'world.byte.tif');
		mark();
		const fixed = await engine.run(loadFiles([good, broken]));
		expect(summary(fixed)).toEqual([
			['skipped', 'good.tif'],
			['Completed', 'corrupt.tif'],
		]);
		expect(uploaded()).toEqual(['corrupt.tif']);

		mark();
		const after = await engine.run(loadFiles([good, broken]));
		expect(summary(after)).toEqual([
			['skipped', 'good.tif'],
			['skipped', 'corrupt.tif'],
		]);
		expect(uploaded()).toEqual([]);
	});

	test('a file whose item failed (upload refused) or that never got a task (its creation failed) is loaded again next run', async () => {
		const small = rasterFile('small.tif', 'rgb-byte-tenth.tif');
		const big = rasterFile('big.tif', 'cogeo.tif');
		sandbox.setOptions({ maxUploadBytes: 100_000 });
		const refused = await engine.run(loadFiles([small, big]));
		expect(summary(refused).map(([kind]) => kind)).toEqual(['Completed', 'error']);
		// 413 (or, when the sandbox closes the connection first, a failed send): the item failed.
		expect(out(refused)[1].json.error).toMatch(/HTTP 413|closed while sending/);
		expect(remembered()).toBe(1);

		sandbox.setOptions({
			maxUploadBytes: null,
			faults: { createTask: { rate: 1, kinds: ['500'] } },
		});
		mark();
		const noTask = await engine.run(loadFiles([small, big]));
		expect(summary(noTask)).toEqual([
			['skipped', 'small.tif'],
			['error', 'big.tif'],
		]);
		expect(out(noTask)[1].json.error).toMatch(/may have created the task/);
		expect(uploaded()).toEqual(['big.tif']);
		expect(tasked()).toEqual([]);
		expect(remembered()).toBe(1);

		sandbox.setOptions({ faults: {} });
		mark();
		const loaded = await engine.run(loadFiles([small, big]));
		expect(summary(loaded)).toEqual([
			['skipped', 'small.tif'],
			['Completed', 'big.tif'],
		]);
		expect(remembered()).toBe(2);
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

	test('Wait for Completion off: a file counts as loaded once its task is created; one whose task then fails is loaded again with Forget Earlier Loads → These Input Files', async () => {
		const broken = rasterFile('corrupt.tif', 'corrupt.tif');
		const other = rasterFile('other.tif', 'float32.tif');
		const noWait = { waitForCompletion: false };
		const first = await engine.run(loadFiles([broken, other], noWait));
		expect(summary(first)).toEqual([
			['Scheduled', 'corrupt.tif'],
			['Scheduled', 'other.tif'],
		]);
		expect(remembered()).toBe(2);

		const second = await engine.run(loadFiles([broken, other], noWait));
		expect(summary(second)).toEqual([
			['skipped', 'corrupt.tif'],
			['skipped', 'other.tif'],
		]);

		// Forget only corrupt.tif: the run with just that file, forgetting its own input files.
		mark();
		const forgetting = await engine.run(
			loadFiles([broken], { ...noWait, options: { forgetEarlierLoads: 'theseFiles' } }),
		);
		expect(summary(forgetting)).toEqual([['Scheduled', 'corrupt.tif']]);
		expect(uploaded()).toEqual(['corrupt.tif']);
		expect(hints(forgetting).join(' ')).toMatch(/Forget Earlier Loads is 'These Input Files'/);
		const later = await engine.run(loadFiles([broken, other], noWait));
		expect(summary(later)).toEqual([
			['skipped', 'corrupt.tif'],
			['skipped', 'other.tif'],
		]);
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

	test('two executions at once load each new file once: the other execution skips it', async () => {
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
		expect(remembered()).toBe(4);
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
		expect(uploaded()).toEqual(['a.tif']);
	});

	test('fail fast: when the node fails, no file whose task it did not see Completed is remembered, and the next run loads exactly those', async () => {
		const files = ['p', 'q', 'r'].map((name, i) =>
			rasterFile(`${name}.tif`, ['rgb-byte-tenth.tif', 'cogeo.tif', 'float32.tif'][i]),
		);
		const broken = rasterFile('corrupt.tif', 'corrupt.tif');
		const failing = await engine.run(loadFiles([...files, broken], {}, { continueOnFail: false }));
		expect(failing.error?.message).toMatch(/ended Failed/);
		const byName = new Map(
			sandbox
				.tasks()
				.slice(taskMark)
				.map((task) => [
					(task.body.files as string[])[0].replace(/_[0-9a-f]{12}(\.\w+)$/, '$1'),
					task.status,
				]),
		);
		const rememberedNames = ['p.tif', 'q.tif', 'r.tif', 'corrupt.tif'].filter((name) =>
			deduplicator.has(
				'wf-test',
				NODE_ID,
				JSON.stringify(['evergis', 1, sandbox.url, CATALOG, 'sha256', sha256(join(dir, name))]),
			),
		);
		for (const name of rememberedNames) expect(byName.get(name)).toBe('Completed');
		expect(rememberedNames).not.toContain('corrupt.tif');
		expect(remembered()).toBe(rememberedNames.length);

		mark();
		const next = await engine.run(loadFiles(files));
		expect(uploaded()).toEqual(
			['p.tif', 'q.tif', 'r.tif'].filter((name) => !rememberedNames.includes(name)),
		);
		expect(next.error).toBeUndefined();
	});

	test('a task the node stops waiting for (its Timeout ran out) leaves its file not remembered', async () => {
		const a = rasterFile('a.tif', 'rgb-byte-tenth.tif');
		sandbox.setOptions({ taskDurationMs: 10_000 });
		const result = await engine.run(loadFiles([a], { options: { timeout: 1 } }));
		expect(summary(result)).toEqual([['error', 'a.tif']]);
		expect(out(result)[0].json.error).toMatch(/did not finish within 1 s/);
		expect(remembered()).toBe(0);
	});

	test('a canceled execution leaves the files it was loading not remembered', async () => {
		const files = ['a', 'b'].map((name, i) =>
			rasterFile(`${name}.tif`, ['rgb-byte-tenth.tif', 'cogeo.tif'][i]),
		);
		sandbox.setOptions({ taskDurationMs: 10_000 });
		const cancel = new AbortController();
		const running = engine.run(loadFiles(files), { signal: cancel.signal });
		// Cancel once both tasks exist (the node is waiting for them).
		while (tasked().length < 2) await new Promise((resolve) => setTimeout(resolve, 20));
		expect(remembered()).toBe(2);
		cancel.abort();
		await running;
		// The node's own code goes on after n8n gave up the execution: give it a moment to release.
		const deadline = Date.now() + 5_000;
		while (remembered() > 0 && Date.now() < deadline) {
			await new Promise((resolve) => setTimeout(resolve, 20));
		}
		expect(remembered()).toBe(0);
	});

	test('an item that fails before its upload (no such binary property) leaves nothing remembered for the items stopped with it', async () => {
		const a = rasterFile('a.tif', 'rgb-byte-tenth.tif');
		const b = rasterFile('b.tif', 'cogeo.tif');
		const result = await engine.run(
			loadFiles([a, b, { files: { other: a } }], {}, { continueOnFail: false }),
		);
		expect(result.error?.message).toMatch(/no binary property 'data'/);
		// Whatever the other items got to before the node stopped, none of it counts as loaded.
		expect(remembered()).toBe(0);
	});

	test('the memory is bounded: Remember at Most drops the earliest files first (they load again), and a hint says so', async () => {
		const files = ['first', 'second', 'third'].map((name, i) =>
			rasterFile(`${name}.tif`, ['rgb-byte-tenth.tif', 'cogeo.tif', 'float32.tif'][i]),
		);
		const limited = { options: { rememberAtMost: 2, concurrency: 1 } };
		const result = await engine.run(loadFiles(files, limited));
		expect(summary(result).map(([kind]) => kind)).toEqual(['Completed', 'Completed', 'Completed']);
		expect(remembered()).toBe(2);
		expect(hints(result).join(' ')).toMatch(/Remember at Most is 2/);
		mark();
		const next = await engine.run(loadFiles(files, limited));
		expect(summary(next)).toEqual([
			['Completed', 'first.tif'],
			['skipped', 'second.tif'],
			['skipped', 'third.tif'],
		]);
		expect(uploaded()).toEqual(['first.tif']);
		expect(remembered()).toBe(2);
	});

	test('the memory is in the store, not the process: a new engine skips what the first loaded; another workflow, a copy of the node (new ID) or another catalog start empty', async () => {
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
		expect(uploaded()).toEqual([]);

		const otherWorkflow = { ...loadFiles([a]), id: 'wf-other' };
		expect(summary(await restarted.run(otherWorkflow))).toEqual([['Completed', 'a.tif']]);
		const copy = loadFiles([a]);
		copy.nodes[2] = { ...copy.nodes[2], id: 'pasted-copy' };
		expect(summary(await restarted.run(copy))).toEqual([['Completed', 'a.tif']]);
		const otherCatalog = tilingWorkflow(
			uploadParameters('demo.drone_orthophotos', { skipAlreadyLoaded: true, options: fast }),
			[{ files: { data: a } }],
		);
		expect(summary(await restarted.run(otherCatalog))).toEqual([['Completed', 'a.tif']]);
		expect(uploaded()).toEqual(['a.tif', 'a.tif', 'a.tif']);
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
		const loaded = await engine.run(
			loadFiles([{ files: { data: { path: changed, fileName: 'b.tif', inMemory: true } } }]),
		);
		expect(summary(loaded)).toEqual([['Completed', 'b.tif']]);
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

	test("n8n's store failing: the node fails with a clear error before any upload; a release that fails leaves a hint, and the item keeps its own error", async () => {
		const a = rasterFile('a.tif', 'rgb-byte-tenth.tif');
		deduplicator.failWhen = () => new Error('connect ECONNREFUSED 127.0.0.1:5432');
		const down = await engine.run(loadFiles([a], {}, { continueOnFail: false }));
		expect(down.error?.message).toBe(
			"EverGIS: n8n's memory of loaded files could not read which files were loaded: connect ECONNREFUSED 127.0.0.1:5432 [item 0]",
		);
		expect(sandbox.stats().requests.upload).toBe(0);

		// The look-up takes its new keys back (remove 1); the release after the failed task is remove 2.
		deduplicator.reset();
		deduplicator.failWhen = (kind, count) =>
			kind === 'remove' && count >= 2 ? new Error('the database went away') : undefined;
		const broken = rasterFile('corrupt.tif', 'corrupt.tif');
		const result = await engine.run(loadFiles([broken]));
		expect(summary(result)).toEqual([['error', 'corrupt.tif']]);
		expect(out(result)[0].json.error).toMatch(/^Tiling task \S+ ended Failed/);
		expect(hints(result).join(' ')).toMatch(
			/could not forget the files that were not loaded: the database went away\. These files stay remembered as loaded although they were not: corrupt\.tif\. .*These Input Files/,
		);
		expect(remembered()).toBe(1);
	});
});
