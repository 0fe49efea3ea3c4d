/**
 * EverGIS is one server for many users: what the node does with its answers that say "busy",
 * "not allowed" and "log in again", and how it stops when an item fails (fail fast).
 */
import { startSandbox } from '../../sandbox';
import type { Sandbox } from '../../sandbox';
import { TestEngine } from '../helpers/engine';
import { fixture, tilingWorkflow, uploadParameters } from '../helpers/workflows';

let sandbox: Sandbox;
let engine: TestEngine;

beforeAll(async () => {
	sandbox = await startSandbox({ taskDurationMs: 300 });
	engine = await TestEngine.create();
});
let taskMark = 0;
let uploadMark = 0;
beforeEach(() => {
	// Fresh credentials (no token) for every test: its first request logs in.
	engine.setCredentials('cred-1', {
		host: sandbox.url,
		username: 'demo',
		password: 'demo-password',
	});
	sandbox.setOptions({ taskDurationMs: 300, latencyMs: 0 });
	sandbox.resetStats();
	taskMark = sandbox.tasks().length;
	uploadMark = sandbox.uploads().length;
});
afterAll(async () => await sandbox.close());

const tasks = () => sandbox.tasks().slice(taskMark);
const uploads = () => sandbox.uploads().slice(uploadMark);
const tenth = fixture('rgb-byte-tenth.tif');
const fast = { pollInterval: 0.1 };
const files = (count: number) => Array.from({ length: count }, () => ({ files: { data: tenth } }));

describe('419, 429 and 503 mean "busy": no login, back off, try again', () => {
	test.each(['419', '429', '503'] as const)(
		'%s on every kind of request: every item loads, with the one login of the run',
		async (kind) => {
			sandbox.failNext('upload', kind, 2);
			sandbox.failNext('createTask', kind, 2);
			sandbox.failNext('progress', kind, 2);
			sandbox.failNext('layer', kind, 1);
			const result = await engine.run(
				tilingWorkflow(uploadParameters('demo.landsat_images', { options: fast }), files(3)),
			);
			expect(result.error).toBeUndefined();
			expect(result.output('EverGIS').map((item) => item.json.status)).toEqual([
				'Completed',
				'Completed',
				'Completed',
			]);
			const stats = sandbox.stats();
			expect(stats.faults.upload + stats.faults.createTask + stats.faults.progress).toBe(6);
			expect(stats.logins).toBe(1);
			// Nothing doubled: a busy answer means the server did not take the request.
			expect(tasks()).toHaveLength(3);
			expect(new Set(uploads().map((upload) => upload.fileId)).size).toBe(3);
		},
	);

	test('a login answered 419 is tried again after a pause, not reported as wrong credentials', async () => {
		sandbox.failNext('login', '419', 2);
		const result = await engine.run(
			tilingWorkflow(uploadParameters('demo.landsat_images', { options: fast }), files(2)),
		);
		expect(result.error).toBeUndefined();
		expect(result.output('EverGIS').map((item) => item.json.status)).toEqual([
			'Completed',
			'Completed',
		]);
		expect(sandbox.stats().requests.login).toBe(3);
		expect(sandbox.stats().logins).toBe(1);
	});
});

describe('401 means "log in again"; 403 "not allowed"', () => {
	test('a 401 in the middle of a run: n8n logs in once more and the request goes through', async () => {
		sandbox.failNext('createTask', '401');
		const result = await engine.run(
			tilingWorkflow(uploadParameters('demo.landsat_images', { options: fast }), files(1)),
		);
		expect(result.error).toBeUndefined();
		expect(sandbox.stats().logins).toBe(2);
		expect(tasks()).toHaveLength(1);
	});

	test('a task creation answered 401 whose re-login fails for a passing reason (502): the creation is tried again, not reported as "may have created the task"', async () => {
		// Regression: the login's 502 was taken for the creation's own answer.
		sandbox.failNext('createTask', '401', 1);
		sandbox.failNext('login', '502', 1, 1);
		const result = await engine.run(
			tilingWorkflow(uploadParameters('demo.landsat_images', { options: fast }), files(1)),
		);
		expect(result.error).toBeUndefined();
		expect(result.output('EverGIS').map((item) => item.json.status)).toEqual(['Completed']);
		expect(sandbox.stats().faults.login).toBe(1);
		expect(tasks()).toHaveLength(1);
	});

	test("403 (another user's catalog): an error that names the user and the catalog, and no second login", async () => {
		const result = await engine.run(
			tilingWorkflow(uploadParameters('alice.landsat_images', { options: fast }), files(1)),
		);
		expect(result.error?.message).toBe(
			"EverGIS denied user 'demo' access (HTTP 403) while reading catalog 'alice.landsat_images': " +
				"No permission to read layer 'alice.landsat_images' [item 0]",
		);
		expect(sandbox.stats().logins).toBe(1);
		expect(sandbox.stats().requests.login).toBe(1);
		expect(uploads()).toHaveLength(0);
	});
});

describe('an unknown catalog fails before anything is uploaded', () => {
	test('checked once per execution and catalog, before the first byte; the message lists the catalogs there are', async () => {
		const result = await engine.run(
			tilingWorkflow(
				uploadParameters('={{ $json.catalog }}', { options: fast }),
				[
					{ json: { catalog: 'demo.landsat_imgaes' }, files: { data: tenth } },
					{ json: { catalog: 'demo.landsat_imgaes' }, files: { data: tenth } },
					{ json: { catalog: 'demo.landsat_imgaes' }, files: { data: tenth } },
				],
				{ continueOnFail: true },
			),
		);
		const items = result.output('EverGIS');
		expect(items).toHaveLength(3);
		for (const [index, item] of items.entries()) {
			expect(item.json.error).toBe(`EverGIS has no catalog 'demo.landsat_imgaes' [item ${index}]`);
			expect(item.json.description).toMatch(/^Your raster catalogs: .*demo\.drone_orthophotos/);
			expect(item.json.description).toMatch(/^Your raster catalogs: .*demo\.landsat_images/);
			expect(item.pairedItem).toEqual({ item: index });
		}
		expect(sandbox.stats().requests.layer).toBe(1);
		expect(sandbox.stats().requests.upload).toBe(0);
		expect(sandbox.stats().requests.createTask).toBe(0);
	});

	test('Create New Catalog skips the check: the catalog is made by the task', async () => {
		const result = await engine.run(
			tilingWorkflow(
				uploadParameters('demo.brand_new_scans', { createNewService: true, options: fast }),
				files(1),
			),
		);
		expect(result.error).toBeUndefined();
		expect(sandbox.stats().requests.layer).toBe(0);
		expect(sandbox.catalog('demo.brand_new_scans')?.rasters).toHaveLength(1);
	});
});

describe('fail fast: without Continue On Fail the node stops at the first failure', () => {
	test('an item that fails at once: no later item starts, nothing is waited for', async () => {
		sandbox.setOptions({ taskDurationMs: 30_000 });
		const result = await engine.run(
			tilingWorkflow(
				uploadParameters('demo.landsat_images', { options: { ...fast, concurrency: 2 } }),
				[{ json: { n: 0 } }, ...files(6)],
			),
		);
		expect(result.error?.message).toBe('The item has no binary data (no file to upload) [item 0]');
		// Items 2 to 6 never started (concurrency 2); item 1, started beside item 0, was stopped.
		expect(sandbox.stats().requests.upload).toBeLessThanOrEqual(1);
		expect(sandbox.stats().requests.progress).toBe(0);
		expect(result.durationMs).toBeLessThan(30_000);
	});

	test('a task that fails while others run: the wait ends at once, and the error names every task submitted', async () => {
		sandbox.setOptions({ taskDurationMs: 60_000 });
		const finishing = (async () => {
			while (tasks().length < 3) await new Promise((resolve) => setTimeout(resolve, 20));
			sandbox.finishTask(tasks()[1].id, 'Failed', 'File is damaged');
		})();
		const result = await engine.run(
			tilingWorkflow(uploadParameters('demo.landsat_images', { options: fast }), files(3)),
		);
		await finishing;
		const [first, second, third] = tasks();
		// The items run at once: which item made the failing task is not known in advance.
		expect(result.error?.message).toMatch(
			new RegExp(`^Tiling task ${second.id} ended Failed: File is damaged \\[item [0-2]\\]$`),
		);
		const named =
			/Tasks this execution had submitted, which keep running on EverGIS: ([^.]+)\./.exec(
				result.error?.description ?? '',
			);
		expect(named?.[1].split(', ').sort()).toEqual([first.id, second.id, third.id].sort());
		// The other two are still running: the node did not wait for them.
		expect([first.status, third.status].every((status) => status !== 'Completed')).toBe(true);
	});

	test('an upload the server never answers does not hold the execution when another item fails', async () => {
		// Regression (issue 24): n8n gives a request the execution's cancel signal, not the node's, so
		// when another item failed the node could not end a stalled upload, and waited for its timeout
		// (2 minutes plus the file's time at 256 KB/s: hours for a big raster). It no longer waits; the
		// abandoned request stays open until its timeout, so it gets a sandbox of its own, closed here.
		const stalling = await startSandbox();
		try {
			engine.setCredentials('cred-1', {
				host: stalling.url,
				username: 'demo',
				password: 'demo-password',
			});
			stalling.failNext('upload', 'hang');
			stalling.failNext('upload', '400');
			const result = await engine.run(
				tilingWorkflow(
					uploadParameters('demo.landsat_images', { options: { ...fast, concurrency: 2 } }),
					files(2),
				),
			);
			expect(result.error?.message).toMatch(
				/^EverGIS refused the request while uploading '.+' \(\d+ bytes\) \(HTTP 400\).* \[item [01]\]$/,
			);
			expect(stalling.stats().requests.createTask).toBe(0);
			expect(result.durationMs).toBeLessThan(20_000);
		} finally {
			await stalling.close();
		}
	}, 30_000);

	test('with Continue On Fail the same failure is an error item and the others run to the end', async () => {
		const finishing = (async () => {
			while (tasks().length < 3) await new Promise((resolve) => setTimeout(resolve, 20));
			sandbox.finishTask(tasks()[1].id, 'Failed', 'File is damaged');
		})();
		const result = await engine.run(
			tilingWorkflow(uploadParameters('demo.landsat_images', { options: fast }), files(3), {
				continueOnFail: true,
			}),
		);
		await finishing;
		expect(result.error).toBeUndefined();
		const items = result.output('EverGIS');
		expect(items).toHaveLength(3);
		const failed = items.filter((item) => item.json.error !== undefined);
		expect(failed).toHaveLength(1);
		expect(String(failed[0].json.error)).toMatch(/ended Failed: File is damaged/);
		expect(items.filter((item) => item.json.status === 'Completed')).toHaveLength(2);
	});
});

describe('one request limit per execution, found from the server', () => {
	afterEach(() => sandbox.setOptions({ maxActiveRequests: 20, renameUploads: false }));

	test('a server that serves 3 requests at once: all 30 items load, with one login; few requests are refused', async () => {
		sandbox.setOptions({ maxActiveRequests: 3, latencyMs: 20, taskDurationMs: 500 });
		const result = await engine.run(
			tilingWorkflow(uploadParameters('demo.landsat_images', { options: fast }), files(30)),
		);
		expect(result.error).toBeUndefined();
		const items = result.output('EverGIS');
		expect(items.filter((item) => item.json.status === 'Completed')).toHaveLength(30);
		const stats = sandbox.stats();
		expect(stats.logins).toBe(1);
		expect(stats.requests.login).toBe(1);
		expect(stats.peakActiveRequests).toBeLessThanOrEqual(3);
		// The node found the limit: it was told "busy" (so it did go past it), and then mostly kept under it.
		expect(stats.refusedTotal).toBeGreaterThan(0);
		const sent = Object.values(stats.requests).reduce((sum, n) => sum + n, 0);
		expect(stats.refusedTotal / sent).toBeLessThan(0.25);
		console.log(`limit 3, 30 items: ${sent} requests, ${stats.refusedTotal} refused (419)`);
	});

	test('a server with room: the limit grows past its start (4) to its ceiling (8 plus Concurrency 4) while requests succeed', async () => {
		sandbox.setOptions({ maxActiveRequests: 0, latencyMs: 300, taskDurationMs: 2_000 });
		const result = await engine.run(
			tilingWorkflow(uploadParameters('demo.landsat_images', { options: fast }), files(40)),
		);
		expect(result.error).toBeUndefined();
		expect(sandbox.stats().peakActiveRequests).toBe(12);
	});

	test('a higher Concurrency raises the ceiling (8 plus Concurrency)', async () => {
		sandbox.setOptions({ maxActiveRequests: 0, latencyMs: 300, taskDurationMs: 2_000 });
		const result = await engine.run(
			tilingWorkflow(
				uploadParameters('demo.landsat_images', { options: { ...fast, concurrency: 12 } }),
				files(60),
			),
		);
		expect(result.error).toBeUndefined();
		expect(sandbox.stats().peakActiveRequests).toBeGreaterThan(12);
		expect(sandbox.stats().peakActiveRequests).toBeLessThanOrEqual(20);
	});

	test('answers that slow down sharply as load grows make the node send fewer requests at once', async () => {
		// Each request already active adds 300 ms to the next one's answer.
		sandbox.setOptions({
			maxActiveRequests: 0,
			latencyMs: 20,
			latencyPerActiveRequestMs: 300,
			taskDurationMs: 2_000,
		});
		try {
			const result = await engine.run(
				tilingWorkflow(uploadParameters('demo.landsat_images', { options: fast }), files(20)),
			);
			expect(result.error).toBeUndefined();
			const { load } = sandbox.stats();
			console.log(
				`slowing server: mean active ${load.meanActiveRequests.toFixed(2)}`,
				load.msByActive,
			);
			expect(load.meanActiveRequests).toBeLessThan(4);
		} finally {
			sandbox.setOptions({ latencyPerActiveRequestMs: 0 });
		}
	});
});

describe('tasks name the fileId EverGIS answered', () => {
	afterEach(() => sandbox.setOptions({ renameUploads: false }));

	test('a server that stores uploads under another name: the task names that name, and loads', async () => {
		sandbox.setOptions({ renameUploads: true });
		const result = await engine.run(
			tilingWorkflow(uploadParameters('demo.landsat_images', { options: fast }), files(2)),
		);
		expect(result.error).toBeUndefined();
		const stored = uploads();
		expect(stored.every((upload) => upload.fileId !== upload.sentName)).toBe(true);
		const named = tasks().map((task) => (task.body as { files: string[] }).files[0]);
		expect(named.sort()).toEqual(stored.map((upload) => upload.fileId).sort());
		for (const item of result.output('EverGIS')) {
			expect(item.json.status).toBe('Completed');
			const [file] = item.json.files as Array<{ fileId: string; name: string }>;
			expect(file.fileId).toMatch(/^u[0-9a-f]{6}_rgb-byte-tenth_[0-9a-f]{12}\.tif$/);
			expect(file.name).toBe('rgb-byte-tenth.tif');
		}
	});

	test('File → Upload returns the answered fileId', async () => {
		sandbox.setOptions({ renameUploads: true });
		const result = await engine.run(
			tilingWorkflow({ resource: 'file', operation: 'upload' }, files(1)),
		);
		expect(result.error).toBeUndefined();
		const [item] = result.output('EverGIS');
		expect(item.json.fileId).toBe(uploads()[0].fileId);
		expect(item.json.fileId).not.toBe(uploads()[0].sentName);
	});
});
