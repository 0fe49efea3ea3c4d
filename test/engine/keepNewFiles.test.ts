import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { startSandbox } from '../../sandbox';
import type { Sandbox } from '../../sandbox';
import type { RunResult, WorkflowSpec } from '../helpers/engine';
import { deduplicator, NODE, ProductionRuns, TestEngine, waitUntil } from '../helpers/engine';
import { CREDENTIALS, fixture, tilingWorkflow, uploadParameters } from '../helpers/workflows';

// Raster → Keep New Files (a listing filtered before any download) and Upload to Catalog with
// Match Files By → Key, sharing the workflow's memory of loaded files, through n8n's engine with
// n8n's deduplication store in memory. A "listing" is items like S3 Get Many's ({Key, ETag}); a
// "download" is the same items with the file on them.

const CATALOG = 'demo.landsat_images';
const FILE_KEY = '={{ $json.Key }}:{{ $json.ETag }}';

let sandbox: Sandbox;
let engine: TestEngine;
let dir: string;

beforeAll(async () => {
	sandbox = await startSandbox({ taskDurationMs: 200 });
	engine = await TestEngine.create();
	dir = mkdtempSync(join(tmpdir(), 'evergis-keep-new-'));
});
afterAll(async () => {
	await sandbox.close();
	rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
	deduplicator.reset();
	engine.setCredentials('cred-1', {
		host: sandbox.url,
		username: 'demo',
		password: 'demo-password',
	});
	sandbox.setOptions({ taskDurationMs: 200, faults: {} });
});

interface Listed {
	Key: string;
	ETag: string;
	/** The fixture raster the object holds. */
	raster: string;
}

const listing = (objects: Listed[]) => objects.map(({ Key, ETag }) => ({ json: { Key, ETag } }));

function filterWorkflow(objects: Listed[], more: INodeParameters = {}): WorkflowSpec {
	return tilingWorkflow(
		{
			resource: 'raster',
			operation: 'keepNewFiles',
			catalog: { __rl: true, mode: 'name', value: CATALOG },
			fileKey: FILE_KEY,
			...more,
		},
		listing(objects),
	);
}

/** The download of the objects (each item: the listing's JSON and the file), loaded by Key. */
function loadWorkflow(objects: Listed[], more: INodeParameters = {}): WorkflowSpec {
	return tilingWorkflow(
		uploadParameters(CATALOG, {
			skipAlreadyLoaded: true,
			matchFilesBy: 'key',
			fileKey: FILE_KEY,
			options: { pollInterval: 0.1 },
			...more,
		}),
		objects.map(({ Key, ETag, raster }) => {
			const path = join(dir, Key.replace(/\//g, '_'));
			copyFileSync(fixture(raster), path);
			return { json: { Key, ETag }, files: { data: path } };
		}),
		{ continueOnFail: true },
	);
}

/**
 * The nightly S3 and FTP examples as far as EverGIS goes: the listing → their Keep New Files → a
 * download (the listing's JSON kept, the file added) → a node that keeps only the file (one an admin
 * might put in between) → their Upload to Catalog, each node with the example's own parameters.
 */
function exampleChain(file: string, listed: IDataObject[], fileIn: string): WorkflowSpec {
	const example = JSON.parse(
		readFileSync(join(__dirname, '..', '..', 'examples', file), 'utf8'),
	) as { nodes: Array<{ name: string; parameters: INodeParameters }> };
	const parametersOf = (name: string) =>
		example.nodes.find((node) => node.name === name)!.parameters;
	const keep = 'Keep files not loaded yet';
	const load = 'Load into the raster catalog';
	const chain = ['Listing', keep, 'Download the new ones', 'Only the file', load];
	return {
		nodes: [
			{ name: 'Start', type: NODE.manualTrigger, parameters: {} },
			{
				name: 'Listing',
				type: NODE.fileItems,
				parameters: { items: JSON.stringify(listed.map((json) => ({ json }))) },
			},
			{ name: keep, type: NODE.tiling, parameters: parametersOf(keep), credentials: CREDENTIALS },
			{
				name: 'Download the new ones',
				type: NODE.passFiles,
				parameters: { path: `=${dir}/${fileIn}` },
			},
			{ name: 'Only the file', type: NODE.passFiles, parameters: { keepJson: false } },
			{
				name: load,
				type: NODE.tiling,
				parameters: { ...parametersOf(load), options: { pollInterval: 0.1 } },
				credentials: CREDENTIALS,
			},
		],
		connections: Object.fromEntries(
			[
				['Start', 'Listing'],
				...chain.slice(0, -1).map((name, index) => [name, chain[index + 1]]),
			].map(([from, to]) => [from, { main: [[{ node: to, type: 'main', index: 0 }]] }]),
		),
	};
}

const keysOf = (result: RunResult, output: number) =>
	result.output('EverGIS', output).map((item) => item.json.Key as string | undefined);

const A: Listed = { Key: 'incoming/a.tif', ETag: '"a1"', raster: 'rgb-byte-tenth.tif' };
const B: Listed = { Key: 'incoming/b.tif', ETag: '"b1"', raster: 'cogeo.tif' };
const BROKEN: Listed = { Key: 'incoming/corrupt.tif', ETag: '"c1"', raster: 'corrupt.tif' };

describe('Raster → Keep New Files, and Upload to Catalog by Key', () => {
	test('a listing before anything was loaded: every item is new (first output), nothing is recorded, and items keep their JSON and pairing', async () => {
		const result = await engine.run(filterWorkflow([A, B]));
		expect(result.error).toBeUndefined();
		expect(keysOf(result, 0)).toEqual([A.Key, B.Key]);
		expect(result.output('EverGIS', 0).map((item) => [item.json, item.pairedItem])).toEqual([
			[{ Key: A.Key, ETag: A.ETag }, { item: 0 }],
			[{ Key: B.Key, ETag: B.ETag }, { item: 1 }],
		]);
		expect(keysOf(result, 1)).toEqual([]);
		expect(deduplicator.entries('wf-test')).toEqual([]);
	});

	test('what Upload to Catalog loaded by Key goes to the second output next time; a changed ETag and a file whose task failed are new again', async () => {
		const loaded = await engine.run(loadWorkflow([A, B, BROKEN]));
		expect(loaded.output('EverGIS').map((item) => item.json.status ?? 'error')).toEqual([
			'Completed',
			'Completed',
			'error',
		]);
		const changedB = { ...B, ETag: '"b2"' };
		const filtered = await engine.run(filterWorkflow([A, changedB, BROKEN]));
		expect(keysOf(filtered, 0)).toEqual([B.Key, BROKEN.Key]);
		expect(keysOf(filtered, 1)).toEqual([A.Key]);
		expect(filtered.output('EverGIS', 1)[0].json.evergis).toEqual({
			reason: 'alreadyLoaded',
			message: 'Already loaded into the catalog',
		});
		// The upload node by the same key skips A as well (the two nodes share the memory).
		const again = await engine.run(loadWorkflow([A, changedB]));
		expect(again.output('EverGIS').map((item) => item.json.skipped ?? item.json.status)).toEqual([
			true,
			'Completed',
		]);
	});

	test('a file another execution is loading right now goes to the second output, as being loaded', async () => {
		// The loading execution's upload hangs (the sandbox holds it) until the execution is canceled.
		sandbox.failNext('upload', 'hang', 1);
		const cancel = new AbortController();
		const loading = engine.run(loadWorkflow([A]), { signal: cancel.signal });
		await waitUntil(() => deduplicator.calls.check >= 1 && sandbox.stats().faults.upload >= 1);
		const filtered = await engine.run(filterWorkflow([A, B]));
		cancel.abort();
		await loading;
		expect(keysOf(filtered, 0)).toEqual([B.Key]);
		expect(filtered.output('EverGIS', 1)[0].json.evergis).toEqual({
			reason: 'beingLoaded',
			message: 'Not to be loaded now: another execution is loading it now',
		});
	});

	test('a task whose end the loading run did not see is asked by the filter: still running → loading; Failed → new; Completed → loaded', async () => {
		sandbox.setOptions({ taskDurationMs: 8_000 });
		const nightly = new ProductionRuns(engine);
		await nightly.run(loadWorkflow([A, BROKEN], { options: { pollInterval: 0.1, timeout: 1 } }));
		let filtered = await nightly.run(filterWorkflow([A, BROKEN]));
		expect(keysOf(filtered, 0)).toEqual([]);
		expect(
			filtered.output('EverGIS', 1).map((item) => (item.json.evergis as IDataObject).reason),
		).toEqual(['beingLoaded', 'beingLoaded']);
		await waitUntil(() =>
			sandbox.tasks().every((task) => ['Completed', 'Failed'].includes(task.status)),
		);
		filtered = await nightly.run(filterWorkflow([A, BROKEN]));
		expect(keysOf(filtered, 0)).toEqual([BROKEN.Key]);
		expect(keysOf(filtered, 1)).toEqual([A.Key]);
	});

	test('an empty File Key and an unknown catalog are errors of their item; under Continue (Regular Output) the error item goes to Loaded or Loading, never to the download; under Continue (Error Output) to the error output', async () => {
		// Regression (review N10): the error item went to New, and from there into the download.
		const spec = filterWorkflow([A, { ...B, Key: '', ETag: '' }]);
		spec.nodes[2] = { ...spec.nodes[2], onError: 'continueRegularOutput' };
		const result = await engine.run(spec);
		expect(keysOf(result, 0)).toEqual([A.Key]);
		expect(result.output('EverGIS', 1).map((item) => [item.json.error, item.pairedItem])).toEqual([
			["File Key is empty for this item (':') [item 1]", { item: 1 }],
		]);
		const toErrorOutput = filterWorkflow([A, { ...B, Key: '', ETag: '' }]);
		toErrorOutput.nodes[2] = { ...toErrorOutput.nodes[2], onError: 'continueErrorOutput' };
		const routed = await engine.run(toErrorOutput);
		expect(keysOf(routed, 0)).toEqual([A.Key]);
		expect(routed.output('EverGIS', 1)).toEqual([]);
		expect(routed.output('EverGIS', 2).map((item) => [item.json.error, item.pairedItem])).toEqual([
			["File Key is empty for this item (':') [item 1]", { item: 1 }],
		]);
		const unknown = await engine.run(
			filterWorkflow([A], { catalog: { __rl: true, mode: 'name', value: 'demo.no_such' } }),
		);
		expect(unknown.error?.message).toBe("EverGIS has no catalog 'demo.no_such' [item 0]");
	});

	test("a look that n8n's store cannot take back leaves the new file new: a production run's next look takes its mark back; after a manual run the next look says 'uncertain', never 'loaded'", async () => {
		// Regression (review N6): the look-up records every key, then removes the unwanted ones; a
		// failed removal left a file that was never uploaded counted as loaded, for good.
		const nightly = new ProductionRuns(engine);
		deduplicator.failWhen = (kind) =>
			kind === 'remove' ? new Error('deadlock detected') : undefined;
		const failing = await nightly.run(filterWorkflow([A]));
		expect(keysOf(failing, 0)).toEqual([A.Key]);
		const hints = (failing.run.data.resultData.runData.EverGIS?.[0]?.hints ?? []).map(
			(hint) => hint.message,
		);
		expect(hints.join(' ')).toMatch(
			/could not take back what the look-up recorded: deadlock detected\. 1 file\(s\) that are not loaded stay marked as loaded until the next production run/,
		);
		deduplicator.failWhen = undefined;
		const next = await nightly.run(filterWorkflow([A]));
		expect(keysOf(next, 0)).toEqual([A.Key]);
		expect(deduplicator.entries('wf-test')).toEqual([]);

		// A manual run: n8n keeps no note of it, and the next look names the file.
		deduplicator.failWhen = (kind) =>
			kind === 'remove' ? new Error('deadlock detected') : undefined;
		await engine.run(filterWorkflow([B]));
		deduplicator.failWhen = undefined;
		const after = await engine.run(filterWorkflow([B]));
		expect(keysOf(after, 0)).toEqual([]);
		expect(after.output('EverGIS', 1)[0].json.evergis).toMatchObject({
			reason: 'uncertain',
			message: expect.stringMatching(
				/^Counted as loaded, but no run knows that it was: .*These Input Files/,
			),
		});
	});

	test.each([
		{
			file: 's3-to-catalog-nightly.json',
			listed: [
				{ Key: 'incoming/a.tif', ETag: '"a1"' },
				{ Key: 'incoming/b.tif', ETag: '"b1"' },
			],
			fileIn: '{{ $json.Key }}',
		},
		{
			file: 'ftp-to-catalog-nightly.json',
			listed: [
				{
					name: 'a.tif',
					path: '/incoming/a.tif',
					size: 17449,
					modifyTime: '2026-11-28T01:10:00.000Z',
				},
				{
					name: 'b.tif',
					path: '/incoming/b.tif',
					size: 20480,
					modifyTime: '2026-11-28T01:12:00.000Z',
				},
			],
			fileIn: '{{ $json.path.slice(1) }}',
		},
	])(
		"$file: Upload to Catalog's File Key reads the listing through the paired item, so a node between the download and the upload that keeps only the file changes nothing",
		async ({ file, listed, fileIn }) => {
			mkdirSync(join(dir, 'incoming'), { recursive: true });
			copyFileSync(fixture('rgb-byte-tenth.tif'), join(dir, 'incoming', 'a.tif'));
			copyFileSync(fixture('cogeo.tif'), join(dir, 'incoming', 'b.tif'));
			const first = await engine.run(exampleChain(file, listed, fileIn));
			expect(first.error).toBeUndefined();
			expect(first.output('Only the file').map((item) => item.json)).toEqual([{}, {}]);
			expect(first.output('Load into the raster catalog').map((item) => item.json.status)).toEqual([
				'Completed',
				'Completed',
			]);
			// The keys Upload to Catalog recorded are Keep New Files' own: both are loaded now.
			const second = await engine.run(exampleChain(file, listed, fileIn));
			expect(second.output('Keep files not loaded yet', 0)).toEqual([]);
			expect(
				second
					.output('Keep files not loaded yet', 1)
					.map((item) => (item.json.evergis as IDataObject).reason),
			).toEqual(['alreadyLoaded', 'alreadyLoaded']);
		},
	);
});

describe('Raster → Mark as Loaded: the first night on a catalog that is already full', () => {
	const FILES = ['one', 'two', 'three', 'four', 'five'].map((name, i) => ({
		Key: `archive/${name}.tif`,
		ETag: `"e${i}"`,
		raster: [
			'rgb-byte-tenth.tif',
			'cogeo.tif',
			'float32.tif',
			'world.byte.tif',
			'rgb-byte-tenth.tif',
		][i],
	}));
	const markWorkflow = (objects: Listed[], more: INodeParameters = {}) =>
		tilingWorkflow(
			{
				resource: 'raster',
				operation: 'markAsLoaded',
				catalog: { __rl: true, mode: 'name', value: CATALOG },
				fileKey: FILE_KEY,
				...more,
			},
			listing(objects),
			{ continueOnFail: true },
		);

	test('mark 5 files of a listing: Keep New Files then finds none of them new, and Upload to Catalog (Skip Files Already Loaded, by Key) uploads none of them', async () => {
		const before = sandbox.uploads().length;
		const marked = await engine.run(markWorkflow(FILES));
		expect(marked.error).toBeUndefined();
		expect(
			marked.output('EverGIS').map((item) => [item.json.Key, item.json.evergis, item.pairedItem]),
		).toEqual(
			FILES.map((file, index) => [
				file.Key,
				{
					marked: true,
					reason: 'marked',
					serviceName: CATALOG,
					message: expect.stringMatching(/^Marked as loaded into demo\.landsat_images/),
				},
				{ item: index },
			]),
		);
		expect(deduplicator.entries('wf-test')).toHaveLength(5);
		expect(sandbox.uploads()).toHaveLength(before);

		const filtered = await engine.run(filterWorkflow([...FILES, A]));
		expect(keysOf(filtered, 0)).toEqual([A.Key]);
		expect(keysOf(filtered, 1)).toEqual(FILES.map((file) => file.Key));

		const uploads = sandbox.uploads().length;
		const loading = await engine.run(loadWorkflow([...FILES, A]));
		expect(loading.output('EverGIS').map((item) => item.json.skipped ?? item.json.status)).toEqual([
			true,
			true,
			true,
			true,
			true,
			'Completed',
		]);
		expect(
			sandbox
				.uploads()
				.slice(uploads)
				.map((upload) => upload.fileId),
		).toEqual([expect.stringMatching(/^incoming_a_[0-9a-f]{12}\.tif$/)]);
		// Marking again changes nothing; an empty File Key is its item's error (Continue On Fail).
		const again = await engine.run(markWorkflow([FILES[0], { ...B, Key: '', ETag: '' }]));
		expect(
			again
				.output('EverGIS')
				.map((item) => (item.json.evergis as IDataObject | undefined)?.reason ?? item.json.error),
		).toEqual(['alreadyLoaded', "File Key is empty for this item (':') [item 1]"]);
	});

	test('a file another execution is loading now is not marked; a file whose load is uncertain is', async () => {
		sandbox.failNext('upload', 'hang', 1);
		const cancel = new AbortController();
		const loading = engine.run(loadWorkflow([A]), { signal: cancel.signal });
		await waitUntil(() => deduplicator.calls.check >= 1 && sandbox.stats().faults.upload >= 1);
		const marked = await engine.run(markWorkflow([A]));
		cancel.abort();
		await loading;
		expect(marked.output('EverGIS')[0].json.evergis).toMatchObject({
			marked: false,
			reason: 'beingLoaded',
		});
		// A task creation that may have created the task: uncertain, until a user marks it.
		sandbox.setOptions({ faults: { createTask: { rate: 1, kinds: ['502'] } } });
		await engine.run(loadWorkflow([B]));
		sandbox.setOptions({ faults: {} });
		const mark = await engine.run(markWorkflow([B]));
		expect(mark.output('EverGIS')[0].json.evergis).toMatchObject({
			marked: true,
			reason: 'marked',
		});
		const filtered = await engine.run(filterWorkflow([B]));
		expect((filtered.output('EverGIS', 1)[0].json.evergis as IDataObject).reason).toBe(
			'alreadyLoaded',
		);
	});
});
