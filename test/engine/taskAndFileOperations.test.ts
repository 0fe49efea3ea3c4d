import { startSandbox } from '../../sandbox';
import type { Sandbox } from '../../sandbox';
import { searchCatalogs } from '../../nodes/EverGis/methods/listSearch';
import { getCatalogAttributes } from '../../nodes/EverGis/methods/loadOptions';
import type { WorkflowSpec } from '../helpers/engine';
import { NODE, TestEngine } from '../helpers/engine';
import { CREDENTIALS, fixture, tilingWorkflow, uploadParameters } from '../helpers/workflows';

let sandbox: Sandbox;
let engine: TestEngine;

beforeAll(async () => {
	sandbox = await startSandbox({ taskDurationMs: null });
	engine = await TestEngine.create();
	engine.setCredentials('cred-1', {
		host: sandbox.url,
		username: 'demo',
		password: 'demo-password',
	});
});
afterAll(async () => await sandbox.close());

/** Starts `count` tiling tasks (they stay Executing until finished by hand) and returns their IDs. */
async function startTasks(count: number): Promise<string[]> {
	const run = await engine.run(
		tilingWorkflow(
			uploadParameters('demo.landsat_images', { waitForCompletion: false }),
			Array.from({ length: count }, () => ({ files: { data: fixture('rgb-byte-tenth.tif') } })),
		),
	);
	expect(run.error).toBeUndefined();
	return run.output('EverGIS').map((item) => item.json.taskId as string);
}

const taskWorkflow = (
	operation: string,
	taskIds: string[],
	more: object = {},
	continueOnFail = false,
) =>
	tilingWorkflow(
		{ resource: 'task', operation, taskId: '={{ $json.id }}', ...more },
		taskIds.map((id) => ({ json: { id } })),
		{ continueOnFail },
	);

describe('Task operations', () => {
	test('Get Status: status and progress now, without waiting', async () => {
		const [id] = await startTasks(1);
		const result = await engine.run(taskWorkflow('getStatus', [id]));
		expect(result.error).toBeUndefined();
		expect(result.output('EverGIS')[0].json).toMatchObject({ taskId: id, finished: false });
		expect(['Scheduled', 'Planning', 'Executing']).toContain(
			result.output('EverGIS')[0].json.status,
		);
		sandbox.finishTask(id, 'Completed');
		const done = await engine.run(taskWorkflow('getStatus', [id]));
		expect(done.output('EverGIS')[0].json).toMatchObject({
			taskId: id,
			status: 'Completed',
			finished: true,
		});
	});

	test("Get: the task's parameters and dates", async () => {
		const [id] = await startTasks(1);
		const result = await engine.run(taskWorkflow('get', [id]));
		expect(result.error).toBeUndefined();
		const json = result.output('EverGIS')[0].json;
		expect(json).toMatchObject({ taskId: id, id, owner: 'demo' });
		expect((json.parameters as { target: { serviceName: string } }).target.serviceName).toBe(
			'demo.landsat_images',
		);
		expect(typeof json.createdDate).toBe('string');
	});

	test('Cancel: a running task ends Canceled; an ended task is returned as it is', async () => {
		const [running, ended] = await startTasks(2);
		sandbox.finishTask(ended, 'Completed');
		const result = await engine.run(taskWorkflow('cancel', [running, ended]));
		expect(result.error).toBeUndefined();
		const [first, second] = result.output('EverGIS');
		expect(first.json).toMatchObject({
			taskId: running,
			status: 'Canceled',
			message: 'Cancelled by external request.',
		});
		expect(second.json).toMatchObject({ taskId: ended, status: 'Completed' });
		expect([first.pairedItem, second.pairedItem]).toEqual([{ item: 0 }, { item: 1 }]);
	});

	test('Wait for Completion: the tasks of all items are waited for in one loop', async () => {
		const ids = await startTasks(3);
		const finishing = (async () => {
			await new Promise((resolve) => setTimeout(resolve, 400));
			sandbox.finishTask(ids[2], 'Completed');
			await new Promise((resolve) => setTimeout(resolve, 300));
			sandbox.finishTask(ids[0], 'Completed');
			sandbox.finishTask(ids[1], 'Failed', 'Broken raster');
		})();
		const result = await engine.run(
			taskWorkflow('waitForCompletion', ids, {
				options: { pollInterval: 0.1, outputFailedTasks: true },
			}),
		);
		await finishing;
		expect(result.error).toBeUndefined();
		expect(
			result.output('EverGIS').map((item) => [item.json.taskId, item.json.status, item.pairedItem]),
		).toEqual([
			[ids[0], 'Completed', { item: 0 }],
			[ids[1], 'Failed', { item: 1 }],
			[ids[2], 'Completed', { item: 2 }],
		]);
		expect(result.output('EverGIS')[1].json.message).toBe('Broken raster');
	});

	test('Wait for Completion: a task is asked every Poll Interval while young, then less often as it ages', async () => {
		const [id] = await startTasks(1);
		const before = sandbox.stats().requests.progress;
		setTimeout(() => sandbox.finishTask(id, 'Completed'), 3_000);
		const result = await engine.run(
			taskWorkflow('waitForCompletion', [id], { options: { pollInterval: 0.1 } }),
		);
		expect(result.output('EverGIS')[0].json.status).toBe('Completed');
		// Every 0.1 s for 3 s would be 30 requests; the back-off (an eighth of the task's age once
		// that is longer than the interval) asks about 20 times. More load here only means fewer.
		const asked = sandbox.stats().requests.progress - before;
		expect(asked).toBeGreaterThanOrEqual(8);
		expect(asked).toBeLessThanOrEqual(24);
	});

	test('Wait for Completion: a token renewal that fails for a passing reason (the login answers 502) is asked again for every item, not only the first', async () => {
		// Regression: the renewal failed once for all items; only the first item's error kept the
		// facts that said "passing", and the other items' tasks ended as failures.
		sandbox.setOptions({ tokenLifetimeMs: 1_500 });
		engine.setCredentials('cred-1', {
			host: sandbox.url,
			username: 'demo',
			password: 'demo-password',
		});
		const ids = await startTasks(4);
		const renewed = engine.run(
			taskWorkflow('waitForCompletion', ids, { options: { pollInterval: 0.2 } }),
		);
		await new Promise((resolve) => setTimeout(resolve, 200));
		// A slow login that then fails, for longer than a request's retries of it (6 tries, about
		// 16 s): every item's next progress request waits for the same failed renewal.
		sandbox.setOptions({ faults: { login: { rate: 1, kinds: ['502'] } }, latencyMs: 400 });
		await new Promise((resolve) => setTimeout(resolve, 18_000));
		sandbox.setOptions({ faults: {}, latencyMs: 0 });
		for (const id of ids) sandbox.finishTask(id, 'Completed');
		const result = await renewed;
		sandbox.setOptions({ tokenLifetimeMs: 600_000 });
		expect(result.error).toBeUndefined();
		expect(sandbox.stats().faults.login).toBeGreaterThan(0);
		expect(result.output('EverGIS').map((item) => item.json.status)).toEqual(
			ids.map(() => 'Completed'),
		);
	}, 40_000);

	test('Wait for Completion: a failed task is an error of its item, with the server message', async () => {
		const [id] = await startTasks(1);
		setTimeout(() => sandbox.finishTask(id, 'Failed', 'Broken raster'), 300);
		const result = await engine.run(
			taskWorkflow('waitForCompletion', [id], { options: { pollInterval: 0.1 } }),
		);
		expect(result.error?.message).toBe(`Task ${id} ended Failed: Broken raster [item 0]`);
	});

	test('Wait for Completion: the timeout ends the wait with an error that names the task', async () => {
		const [id] = await startTasks(1);
		const result = await engine.run(
			taskWorkflow('waitForCompletion', [id], { options: { pollInterval: 0.2, timeout: 1 } }),
		);
		expect(result.error?.message).toMatch(
			new RegExp(
				`^Task ${id} did not finish within 1 s \\(last status: (Planning|Executing)\\) \\[item 0\\]$`,
			),
		);
		expect(result.error?.description).toContain(id);
		sandbox.finishTask(id, 'Completed');
	});

	test("Wait for Completion: a progress request that waits for its turn does not hold its wait past the wait's Timeout", async () => {
		// Regression (issue 24): a wait's progress request queued behind the run's other requests
		// (here four slow ones hold every slot the run starts with) went out only when one ended,
		// long after its own wait's Timeout: the Timeout did not hold.
		const ids = await startTasks(5);
		const before = sandbox.stats().requests.progress;
		sandbox.setOptions({ latencyMs: 60_000 }); // no answer comes back
		let result;
		try {
			result = await engine.run(
				tilingWorkflow(
					{
						resource: 'task',
						operation: 'waitForCompletion',
						taskId: '={{ $json.id }}',
						options: { pollInterval: 0.1, timeout: '={{ $json.timeout }}' },
					},
					ids.map((id, index) => ({ json: { id, timeout: index < 4 ? 4 : 1 } })),
					{ continueOnFail: true },
				),
			);
		} finally {
			sandbox.setOptions({ latencyMs: 0 });
		}
		for (const id of ids) sandbox.finishTask(id, 'Completed');
		const errors = result.output('EverGIS').map((item) => String(item.json.error));
		// The last item's request was never sent: its wait ended at its Timeout, having heard nothing.
		expect(sandbox.stats().requests.progress - before).toBe(4);
		expect(errors[4]).toBe(
			`Task ${ids[4]} did not finish within 1 s (no status received) [item 4]`,
		);
		for (const [index, error] of errors.slice(0, 4).entries()) {
			expect(error).toMatch(
				new RegExp(`^Task ${ids[index]} did not finish within 4 s \\(no status received; `),
			);
		}
	});

	test('an unknown task ID: a clear error, or an error item under Continue On Fail', async () => {
		const [id] = await startTasks(1);
		sandbox.finishTask(id, 'Completed');
		const result = await engine.run(taskWorkflow('getStatus', ['no-such-task', id], {}, true));
		expect(result.error).toBeUndefined();
		const [missing, found] = result.output('EverGIS');
		expect(missing.json.error).toBe("EverGIS has no task 'no-such-task' [item 0]");
		expect(missing.json.httpCode).toBe('404');
		expect(missing.pairedItem).toEqual({ item: 0 });
		expect(found.json.status).toBe('Completed');
		const failing = await engine.run(taskWorkflow('get', ['no-such-task']));
		expect(failing.error?.message).toBe("EverGIS has no task 'no-such-task' [item 0]");
		expect(failing.error?.description).toMatch(/Check the task ID/);
	});

	test('an empty task ID', async () => {
		const result = await engine.run(taskWorkflow('getStatus', ['']));
		expect(result.error?.message).toBe('Task ID is empty [item 0]');
	});
});

describe('Catalog pickers', () => {
	const spec: WorkflowSpec = {
		nodes: [
			{
				name: 'EverGIS',
				type: NODE.tiling,
				parameters: {
					resource: 'raster',
					operation: 'uploadToCatalog',
					catalog: { __rl: true, mode: 'list', value: 'demo.drone_orthophotos' },
				},
				credentials: CREDENTIALS,
			},
		],
		connections: {},
	};

	test("From List: the user's own raster catalogs (none shared with them yet), searchable by name or alias", async () => {
		const all = await engine.loadOptions(spec, 'EverGIS', searchCatalogs);
		expect(all.results.map((entry) => entry.value).sort()).toEqual([
			'demo.drone_orthophotos',
			'demo.landsat_images',
		]);
		expect(all.results.find((entry) => entry.value === 'demo.landsat_images')?.name).toBe(
			'Снимки Landsat (demo.landsat_images)',
		);
		const found = await engine.loadOptions(spec, 'EverGIS', searchCatalogs, 'drone');
		expect(found.results.map((entry) => entry.value)).toEqual(['demo.drone_orthophotos']);
		const none = await engine.loadOptions(spec, 'EverGIS', searchCatalogs, 'roads');
		expect(none.results).toEqual([]);
	});

	test('From List: the catalogs other users share with the user follow their own (group=role), marked', async () => {
		// Shared from here on (the test before this one saw only demo's own catalogs).
		sandbox.shareCatalog('alice.landsat_images', 'demo', 'read,write');
		sandbox.shareCatalog('alice.drone_orthophotos', 'demo', 'read');
		const all = await engine.loadOptions(spec, 'EverGIS', searchCatalogs);
		expect(all.results.map((entry) => entry.value)).toEqual([
			'demo.landsat_images',
			'demo.drone_orthophotos',
			'alice.landsat_images',
			'alice.drone_orthophotos',
		]);
		expect(all.paginationToken).toBeUndefined();
		const byValue = new Map(all.results.map((entry) => [entry.value, entry]));
		expect(byValue.get('alice.landsat_images')).toMatchObject({
			name: 'Снимки Landsat (alice.landsat_images)',
			description: 'Shared by alice. Landsat scenes (sandbox seed)',
		});
		expect(byValue.get('alice.drone_orthophotos')?.description).toMatch(
			/^Shared by alice: read only, loading needs write\. /,
		);
		expect(byValue.get('demo.landsat_images')?.description).toBe('Landsat scenes (sandbox seed)');
		// A search covers both lists.
		const found = await engine.loadOptions(spec, 'EverGIS', searchCatalogs, 'landsat');
		expect(found.results.map((entry) => entry.value)).toEqual([
			'demo.landsat_images',
			'alice.landsat_images',
		]);
		// The pages' tokens: on in the user's own list, then in the shared one.
		const fromOwn = await engine.loadOptions(spec, 'EverGIS', searchCatalogs, '', 'my:1');
		expect(fromOwn.results.map((entry) => entry.value)).toEqual([
			'demo.drone_orthophotos',
			'alice.landsat_images',
			'alice.drone_orthophotos',
		]);
		const fromShared = await engine.loadOptions(spec, 'EverGIS', searchCatalogs, '', 'role:1');
		expect(fromShared.results.map((entry) => entry.value)).toEqual(['alice.drone_orthophotos']);
		// The one shared with write loads; the read-only one is refused by EverGIS.
		const loaded = await engine.run(
			tilingWorkflow(uploadParameters('alice.landsat_images', { waitForCompletion: false })),
		);
		expect(loaded.error).toBeUndefined();
		const refused = await engine.run(
			tilingWorkflow(uploadParameters('alice.drone_orthophotos', { waitForCompletion: false })),
		);
		expect(refused.error?.message).toMatch(/HTTP 403/);
	});

	test('Attribute names are those of the chosen catalog', async () => {
		const options = await engine.loadOptions(spec, 'EverGIS', getCatalogAttributes);
		expect(options.map((option) => option.value).sort()).toEqual([
			'altitude_m',
			'flight_date',
			'name',
			'operator',
		]);
		expect(options.find((option) => option.value === 'altitude_m')?.description).toBe(
			'Type: Double',
		);
	});
});
